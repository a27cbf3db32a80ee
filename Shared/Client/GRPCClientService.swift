public import GRPCCore
public import ServiceLifecycle

/// Runs a long-lived `GRPCClient` (one per downstream service) as a lifecycle `Service`.
public struct GRPCClientService<Transport: ClientTransport>: Service {
  public let client: GRPCClient<Transport>

  public init(client: GRPCClient<Transport>) {
    self.client = client
  }

  public func run() async throws {
    try await withGracefulShutdownHandler {
      try await client.runConnections()
    } onGracefulShutdown: {
      client.beginGracefulShutdown()
    }
  }
}
