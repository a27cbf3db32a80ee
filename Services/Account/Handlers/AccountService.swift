import Foundation
public import GRPCCore
public import SafeMapAPI
import SafeMapAuth
import SafeMapCore
public import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

/// `safemap.account.v1.AccountService`: login, tokens, passwords and officer accounts.
public struct AccountService: Safemap_Account_V1_AccountService.SimpleServiceProtocol {
  public let database: Database

  public init(database: Database) {
    self.database = database
  }

  public func login(
    request: Safemap_Account_V1_LoginRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_LoginResponse {
    throw RPCError.pendingIssue("Login", issue: 3)
  }

  public func refreshToken(
    request: Safemap_Account_V1_RefreshTokenRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_RefreshTokenResponse {
    throw RPCError.pendingIssue("RefreshToken", issue: 3)
  }

  public func logout(
    request: Safemap_Account_V1_LogoutRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_LogoutResponse {
    throw RPCError.pendingIssue("Logout", issue: 3)
  }

  public func changePassword(
    request: Safemap_Account_V1_ChangePasswordRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ChangePasswordResponse {
    throw RPCError.pendingIssue("ChangePassword", issue: 3)
  }

  /// Public, so the other services can load the keys before they hold any token.
  public func getSigningKeys(
    request: Safemap_Account_V1_GetSigningKeysRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_GetSigningKeysResponse {
    let keys = try await SigningKeyStore.publishedKeys(database: database)
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


  public func createAccount(
    request: Safemap_Account_V1_CreateAccountRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_CreateAccountResponse {
    throw RPCError.pendingIssue("CreateAccount", issue: 3)
  }

  public func getAccount(
    request: Safemap_Account_V1_GetAccountRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_GetAccountResponse {
    throw RPCError.pendingIssue("GetAccount", issue: 3)
  }

  public func listAccounts(
    request: Safemap_Account_V1_ListAccountsRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListAccountsResponse {
    throw RPCError.pendingIssue("ListAccounts", issue: 3)
  }

  public func resetPassword(
    request: Safemap_Account_V1_ResetPasswordRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ResetPasswordResponse {
    throw RPCError.pendingIssue("ResetPassword", issue: 3)
  }

  public func setAccountDisabled(
    request: Safemap_Account_V1_SetAccountDisabledRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_SetAccountDisabledResponse {
    throw RPCError.pendingIssue("SetAccountDisabled", issue: 3)
  }

  public func whoAmI(
    request: Safemap_Account_V1_WhoAmIRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_WhoAmIResponse {
    throw RPCError.pendingIssue("WhoAmI", issue: 3)
  }
}
