import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapClient

/// One of the three services, where the tool finds it.
struct Endpoint: Sendable {
  /// `account-service`, for messages.
  let service: String
  /// The command-line option and environment variable that set it, for messages.
  let option: String
  let variable: String
  let address: ServiceAddress
  let tls: TLSSettings

  /// Every call fails at once when the service cannot be reached (rather than waiting for it
  /// to come up), and none runs longer than ten minutes (an export of a whole province).
  static let methodConfig = [
    MethodConfig(names: [.init(service: "")], waitForReady: false, timeout: .seconds(600))
  ]

  /// `host:port` from the option, else the variable, else the local default.
  init(
    service: String,
    option: String,
    variable: String,
    value: String?,
    defaultPort: Int,
    tls: TLSSettings
  ) throws {
    self.service = service
    self.option = option
    self.variable = variable
    self.tls = tls
    let text = value ?? "127.0.0.1:\(defaultPort)"
    guard let address = ServiceAddress(parsing: text) else {
      throw CLIFailure("--\(option) must be host:port, got \(text)")
    }
    self.address = address
  }

  /// Runs `body` with a client connected to this service, and turns its refusals into
  /// ``CLIFailure``s.
  func call<Result: Sendable>(
    login: Bool = false,
    _ body: @escaping @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
  ) async throws -> Result {
    do {
      let transport = try ServiceClient.transport(
        address,
        tls: tls,
        methodConfig: Self.methodConfig
      )
      return try await withGRPCClient(transport: transport) { client in try await body(client) }
    } catch let error as RPCError {
      throw CLIFailure(error, calling: self, login: login)
    } catch let error as CLIFailure {
      throw error
    } catch {
      throw CLIFailure("\(service) at \(address): \(error)")
    }
  }
}
