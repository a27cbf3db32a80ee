/// One of two halves of a scope's facilities, split by facility id (random UUIDs, so the
/// halves are even). A report whose cost is per facility (a trend, a summary as of a past
/// instant) runs as two statements at once on two connections: PostgreSQL runs each statement
/// on one core and does not parallelise per-facility lookups itself.
enum FacilityHalf: CaseIterable, Sendable {
  case lower, upper

  /// The condition over `alias.facility_id`.
  func predicate(_ alias: String) -> String {
    switch self {
    case .lower: "\(alias).facility_id < '80000000-0000-0000-0000-000000000000'::uuid"
    case .upper: "\(alias).facility_id >= '80000000-0000-0000-0000-000000000000'::uuid"
    }
  }
}
