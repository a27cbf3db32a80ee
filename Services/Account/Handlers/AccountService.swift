import Foundation
public import GRPCCore
public import SafeMapAPI
import SafeMapAuth
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

/// `safemap.account.v1.AccountService`: login, tokens, passwords and officer accounts.
/// Sessions are in `AccountService+Sessions.swift`, officer accounts in
/// `AccountService+Officers.swift`.
public struct AccountService: Safemap_Account_V1_AccountService.SimpleServiceProtocol {
  public let context: AccountContext

  public init(context: AccountContext) {
    self.context = context
  }

  /// Public, so the other services can load the keys before they hold any token.
  public func getSigningKeys(
    request: Safemap_Account_V1_GetSigningKeysRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_GetSigningKeysResponse {
    let keys = try await self.context.database.withGlobalConnection(
      cancellation: context.cancellation
    ) { try await SigningKeyStore.publishedKeys(on: $0) }
    return .with {
      $0.keys = keys.map { key in
        .with {
          $0.keyID = key.keyID
          $0.algorithm = "EdDSA"
          $0.publicKey = Data(key.rawPublicKey)
        }
      }
      $0.cacheSeconds = 60
    }
  }
}
