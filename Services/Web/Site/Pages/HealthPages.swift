import GRPCCore
import Hummingbird
import NIOCore
import SafeMapAPI

/// `/healthz` (the process answers) and `/readyz` (the three services answer their health
/// check), for probes and compose.
struct HealthPages {
  let backend: Backend

  func register(_ routes: Routes) {
    routes.open.get("/healthz") { _, _ in "ok\n" }
    routes.open.get("/readyz") { _, _ in
      var failing: [String] = []
      for (name, client) in [
        ("account", backend.account), ("assessment", backend.assessment),
        ("reporting", backend.reporting),
      ] {
        let health = Grpc_Health_V1_Health.Client(wrapping: client)
        var options = CallOptions.defaults
        options.timeout = .seconds(2)
        let status = try? await health.check(.init(), options: options)
        if status?.status != .serving { failing.append(name) }
      }
      guard failing.isEmpty else {
        return Response(
          status: .serviceUnavailable,
          body: .init(
            byteBuffer: ByteBuffer(string: "not ready: \(failing.joined(separator: ", "))\n")
          )
        )
      }
      return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
    }
  }
}
