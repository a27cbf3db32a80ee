import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapClient
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// The real executable: SIGTERM flips health to NOT_SERVING before draining, and the
/// process exits cleanly; metrics are served on their own port.
@Suite("Process lifecycle")
struct ProcessLifecycleTests {
  @Test("SIGTERM turns a Watch stream NOT_SERVING, ends it, and the process exits 0")
  func sigtermFlipsHealthThenExits() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let grpcPort = try FreePort.find()
    let metricsPort = try FreePort.find()
    let log = FileManager.default.temporaryDirectory
      .appendingPathComponent("account-service-\(grpcPort).log").path
    var environment = Executables.environment(
      cluster: cluster,
      database: database,
      grpcPort: grpcPort,
      logLevel: "info"
    )
    environment["SAFEMAP_METRICS_PORT"] = String(metricsPort)
    environment["SAFEMAP_SHUTDOWN_DELAY_S"] = "0.3"
    let pid = try Shell.spawn(
      try Executables.path("account-service"),
      [],
      output: log,
      environment: environment
    )
    defer {
      kill(pid, SIGKILL)
      try? FileManager.default.removeItem(atPath: log)
    }

    let serving = await eventually(timeout: .seconds(20)) {
      (try? await check(port: grpcPort, service: "")) == .serving
    }
    #expect(serving, "never SERVING: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")

    let metrics = try await httpGet(port: metricsPort, path: "/metrics")
    #expect(metrics.contains("grpc_server_handled_total{grpc_service=\"grpc.health.v1.Health\""))
    #expect(metrics.contains("grpc_code=\"OK\""))
    #expect(metrics.contains("grpc_server_handling_seconds_bucket"))

    let statuses = try await withLocalClient(port: grpcPort) { client in
      try await Grpc_Health_V1_Health.Client(wrapping: client).watch(.with { $0.service = "" }) {
        response in
        var seen: [ServingStatus] = []
        for try await message in response.messages {
          seen.append(message.status)
          if seen.count == 1 { kill(pid, SIGTERM) }
        }
        return seen
      }
    }
    #expect(statuses.first == .serving)
    #expect(statuses.last == .notServing)
    let status = await Shell.waitForExit(pid, timeout: .seconds(15))
    #expect(status == 0)
  }
}

/// A one-shot HTTP/1.1 GET over a plain socket (the metrics endpoint closes after replying).
func httpGet(port: Int, path: String) async throws -> String {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = UInt16(port).bigEndian
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  let connected = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
    }
  }
  guard connected == 0 else { throw Shell.Failure(description: "cannot connect to \(port)") }
  let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)
  _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
  var response: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = recv(fd, &buffer, buffer.count, 0)
    if n <= 0 { break }
    response += buffer[0..<n]
  }
  return String(decoding: response, as: UTF8.self)
}
