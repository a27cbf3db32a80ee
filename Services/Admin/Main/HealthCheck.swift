import ArgumentParser
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapClient
import SwiftProtobuf

/// `safemap-admin health HOST:PORT`: exits 0 when the service there answers SERVING to
/// `grpc.health.v1.Health/Check`, 1 otherwise. For container health checks (compose), where no
/// gRPC probe is built in; it calls the plaintext health port (`SAFEMAP_HEALTH_PORT`).
struct HealthCheck: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "health",
    abstract: "Exit 0 if the gRPC health service at HOST:PORT answers SERVING (plaintext).",
    discussion: "Example:\n  safemap-admin health 127.0.0.1:8081"
  )

  @Argument(help: "host:port of a plaintext gRPC health endpoint.") var address: String
  @Option(help: "Service name to ask about (default: the whole server).") var service = ""
  @Option(help: "Give up after this many seconds.") var timeout = 3

  func run() async throws {
    guard let target = ServiceAddress(parsing: address) else {
      throw ValidationError("expected host:port, got \(address)")
    }
    let service = self.service
    var options = CallOptions.defaults
    options.timeout = .seconds(timeout)
    options.waitForReady = false
    let callOptions = options
    let status: Grpc_Health_V1_HealthCheckResponse.ServingStatus
    do {
      status = try await withGRPCClient(
        transport: try ServiceClient.transport(target, tls: TLSSettings())
      ) { client in
        try await Grpc_Health_V1_Health.Client(wrapping: client).check(
          .with { $0.service = service },
          options: callOptions
        ).status
      }
    } catch {
      print("\(address): \(error)")
      throw ExitCode.failure
    }
    print("\(address): \(status)")
    if status != .serving { throw ExitCode.failure }
  }
}
