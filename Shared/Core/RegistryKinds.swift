/// What an assessment covers. Raw values are the names used in SQL.
public enum AssessmentKind: String, CaseIterable, Sendable, Hashable {
  case workplace = "WORKPLACE"
  case dormitory = "DORMITORY"
}

/// Whether a facility operates (docs/domain.md: workflow step 3). Raw values are SQL's names.
public enum OperatingStatus: String, CaseIterable, Sendable, Hashable {
  case active = "ACTIVE"
  case suspended = "SUSPENDED"
  case closed = "CLOSED"
}

/// The kind of zone a facility may sit in. Industrial and economic zones count as "inside"
/// in R1; a cluster does not. Raw values are SQL's names.
public enum ZoneType: String, CaseIterable, Sendable, Hashable {
  case industrialZone = "INDUSTRIAL_ZONE"
  case economicZone = "ECONOMIC_ZONE"
  case industrialCluster = "INDUSTRIAL_CLUSTER"
}
