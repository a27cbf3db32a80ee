public import GRPCCore
import SafeMapAPI

/// Fetches the public keys from account-service's `GetSigningKeys` (unauthenticated), for
/// assessment-service and reporting-service.
public struct AccountServiceKeySource<Transport: ClientTransport>: SigningKeySource {
  public let client: GRPCClient<Transport>

  public init(client: GRPCClient<Transport>) {
    self.client = client
  }

  public func fetchKeys() async throws -> [PublicSigningKey] {
    let accounts = Safemap_Account_V1_AccountService.Client(wrapping: client)
    var options = CallOptions.defaults
    options.timeout = .seconds(5)
    let response = try await accounts.getSigningKeys(.init(), options: options)
    return response.keys.map {
      PublicSigningKey(keyID: $0.keyID, rawPublicKey: Array($0.publicKey))
    }
  }
}
