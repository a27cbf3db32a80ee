import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapContract
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

/// Browser sessions, for web-service alone (``AccountContext/webService``): any replica of it,
/// restarted or not, finds a browser's session here.
extension AccountService {
  public func createWebSession(
    request: Safemap_Account_V1_CreateWebSessionRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_CreateWebSessionResponse {
    try await requireWebService(username: request.username, context: context)
    let signedIn = try await signIn(
      username: request.username,
      password: request.password,
      deviceToken: request.deviceToken,
      action: context.descriptor.method,
      context: context
    )
    let appContext = self.context
    let account = signedIn.account
    let address = context.clientAddress
    let (id, row) = try await appContext.database.withTenantTransaction(
      signedIn.tenant,
      cancellation: context.cancellation
    ) { connection in
      try await WebSessions.open(
        for: account,
        lifetime: appContext.webSessionLifetime,
        keep: appContext.webSessionsPerAccount,
        clientAddress: address,
        on: connection
      )
    }
    let session = try await webSession(account, row)
    return .with {
      $0.sessionID = id
      $0.session = session
      $0.deviceToken = signedIn.deviceToken
    }
  }

  public func getWebSession(
    request: Safemap_Account_V1_GetWebSessionRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_GetWebSessionResponse {
    try await requireWebService(username: "", context: context)
    guard request.sessionID.utf8.count <= 256, let parsed = Sessions.parse(request.sessionID),
      let tenant = parsed.province == "00" ? Tenant.national : Tenant.province(parsed.province)
    else { throw Self.noSession }
    let idle = self.context.webSessionIdle
    let found = try await self.context.database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection -> (AccountRecord, WebSessions.Row)? in
      guard let row = try await WebSessions.find(parsed, idle: idle, on: connection),
        let account = try await AccountRecord.find(
          row.accountID,
          province: tenant.code,
          on: connection
        )
      else { return nil }
      return (account, row)
    }
    guard let (account, row) = found, !account.disabled else { throw Self.noSession }
    try Self.requireUnexpiredOneTimePassword(account)
    let session = try await webSession(account, row)
    return .with { $0.session = session }
  }

  public func endWebSession(
    request: Safemap_Account_V1_EndWebSessionRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_EndWebSessionResponse {
    try await requireWebService(username: "", context: context)
    guard request.sessionID.utf8.count <= 256, let parsed = Sessions.parse(request.sessionID),
      let tenant = parsed.province == "00" ? Tenant.national : Tenant.province(parsed.province)
    else { return .init() }
    let address = context.clientAddress
    try await self.context.database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection in
      guard let accountID = try await WebSessions.end(parsed, on: connection) else { return }
      try await connection.query(
        """
        INSERT INTO audit_events (province_code, actor_account_id, action, target_type,
          target_id, outcome, client_address)
        VALUES (\(tenant.code), \(accountID), 'EndWebSession', 'web_session',
          \(parsed.tokenID.uuidString.lowercased()), 'SUCCESS', \(String(address.prefix(100))))
        """,
        logger: connection.logger
      )
    }
    return .init()
  }

  static let noSession = RPCError(
    code: .notFound,
    message: "session_id: no such session (ended, expired or idle too long); sign in again"
  )

  /// PERMISSION_DENIED, audited, unless web-service is calling.
  private func requireWebService(username: String, context: ServerContext) async throws {
    guard !self.context.webService.trusts(context) else { return }
    let action = context.descriptor.method
    let refusal = RPCError(
      code: .permissionDenied,
      message: "\(action) is for web-service only (its client certificate, or a trusted address)"
    )
    await Audit.recordAnonymous(
      AuditEntry(action: action, detail: refusal.message),
      outcome: .denied,
      username: username,
      clientAddress: context.clientAddress,
      database: self.context.database,
      cancellation: context.cancellation
    )
    throw refusal
  }

  /// The session as web-service uses it, with an access token minted now.
  private func webSession(_ account: AccountRecord, _ row: WebSessions.Row) async throws
    -> Safemap_Account_V1_WebSession
  {
    let (token, claims) = try await self.context.signer.sign(account.principal)
    return .with {
      $0.account = account.message
      $0.csrfToken = row.csrfToken
      $0.accessToken = token
      $0.accessTokenExpireTime = Google_Protobuf_Timestamp(date: claims.expiresAt)
      $0.passwordChangeRequired = account.passwordChangeRequired
      $0.expireTime = Google_Protobuf_Timestamp(date: row.expiresAt)
    }
  }
}
