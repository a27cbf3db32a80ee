import GRPCNIOTransportHTTP2
import SafeMapAuth
import SafeMapClient
public import SafeMapRuntime

/// Assembles assessment-service on a ``ServiceHost``. Tokens are verified with the keys
/// account-service publishes, fetched over gRPC and refreshed.
public enum AssessmentServer {
  public static func run(host: ServiceHost) async throws {
    let accounts = try host.makeAccountServiceClient()
    let database = host.database
    try await host.run(
      services: [
        AssessmentService(
          database: database,
          facilities: FacilityDirectory(
            client: accounts,
            timeout: .milliseconds(Int64(host.configuration.profileTimeoutSeconds * 1000))
          )
        )
      ],
      keySource: AccountServiceKeySource(client: accounts),
      additionalServices: [GRPCClientService(client: accounts)],
      prepare: { try await CatalogueStore.installDefaults(database: database, logger: host.logger) }
    )
  }
}
