public import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapAuth
import SafeMapClient
import SafeMapDatabase
public import SafeMapRuntime

/// Assembles reporting-service on a ``ServiceHost``. Tokens are verified with the keys
/// account-service publishes, fetched over gRPC and refreshed.
public enum ReportingServer {
  /// The public map needs no token: anyone may see it (web-service's front page).
  public static let publicMethods: Set<MethodDescriptor> = [
    Safemap_Reporting_V1_ReportingService.Method.GetPublicMap.descriptor
  ]

  public static func run(host: ServiceHost) async throws {
    let accounts = try host.makeAccountServiceClient()
    try await host.run(
      services: [
        ReportingService(
          database: host.database,
          maximumConnections: host.configuration.database.maximumConnections
        )
      ],
      keySource: AccountServiceKeySource(client: accounts),
      publicMethods: publicMethods,
      rateLimitedMethods: publicMethods,
      additionalServices: [GRPCClientService(client: accounts)]
    )
  }
}
