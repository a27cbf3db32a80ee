/// The three SafeMap services: their names, default ports and database roles.
public enum SafeMapService: String, Sendable, CaseIterable {
  case account
  case assessment
  case reporting

  /// Executable and log name, e.g. `account-service`.
  public var processName: String { "\(rawValue)-service" }

  public var defaultGRPCPort: Int {
    switch self {
    case .account: return 50051
    case .assessment: return 50052
    case .reporting: return 50053
    }
  }

  public var defaultMetricsPort: Int {
    switch self {
    case .account: return 9451
    case .assessment: return 9452
    case .reporting: return 9453
    }
  }

  /// The PostgreSQL role the service connects as: not the owner, not a superuser, with only the
  /// privileges the migrations grant it.
  public var databaseRole: String { "safemap_\(rawValue)" }

  /// Fully qualified gRPC service names served, as health reports them.
  public var grpcServiceNames: [String] {
    switch self {
    case .account:
      return [
        "safemap.account.v1.AccountService", "safemap.account.v1.FacilityService",
        "safemap.account.v1.NominationService", "safemap.account.v1.CredentialService",
      ]
    case .assessment: return ["safemap.assessment.v1.AssessmentService"]
    case .reporting: return ["safemap.reporting.v1.ReportingService"]
    }
  }
}
