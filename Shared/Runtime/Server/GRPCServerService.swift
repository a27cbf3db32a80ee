public import GRPCCore
public import ServiceLifecycle

/// Runs a `GRPCServer` as a lifecycle `Service`: graceful shutdown stops accepting calls and
/// lets the in-flight ones finish (grpc-swift-extras is not available at our versions).
/// `prepare` runs before the server starts listening.
public struct GRPCServerService<Transport: ServerTransport>: Service {
  public let server: GRPCServer<Transport>
  public let prepare: @Sendable () async throws -> Void

  public init(
    server: GRPCServer<Transport>,
    prepare: @escaping @Sendable () async throws -> Void = {}
  ) {
    self.server = server
    self.prepare = prepare
  }

  public func run() async throws {
    try await prepare()
    try await withGracefulShutdownHandler {
      try await server.serve()
    } onGracefulShutdown: {
      server.beginGracefulShutdown()
    }
  }
}
