import GRPCNIOTransportHTTP2
import SafeMapAuth
public import SafeMapRuntime

/// Assembles reporting-service on a ``ServiceHost``. Tokens are verified with the keys
/// account-service publishes, fetched over gRPC and refreshed.
public enum ReportingServer {
  public static func run(host: ServiceHost) async throws {
    let accounts = try host.makeAccountServiceClient()
    try await host.run(
      services: [ReportingService(database: host.database)],
      keySource: AccountServiceKeySource(client: accounts),
      additionalServices: [GRPCClientService(client: accounts)]
    )
  }
}
