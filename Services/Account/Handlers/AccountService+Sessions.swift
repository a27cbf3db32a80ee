import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

extension AccountService {
  static let badCredentials = RPCError(
    code: .unauthenticated, message: "invalid username or password")

  public func login(
    request: Safemap_Account_V1_LoginRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_LoginResponse {
    var violations = FieldViolations()
    violations.require(!request.username.isEmpty, "username", "required")
    violations.require(!request.password.isEmpty, "password", "required")
    violations.require(request.password.count <= 1024, "password", "too long")
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    let database = self.context.database
    let address = context.clientAddress
    try await LoginThrottle.check(username: request.username, address: address, database: database)

    let username = request.username
    let located = try await database.withGlobalConnection(cancellation: context.cancellation) {
      try await AccountRecord.locate(username: username, on: $0)
    }
    guard let (accountID, province) = located,
      let tenant = province == "00" ? Tenant.national : Tenant.province(province)
    else {
      // Same work, same answer as a wrong password.
      try await self.context.hasher.verifyDummy(request.password)
      try await LoginThrottle.recordFailure(username: username, address: address, database: database)
      throw Self.badCredentials
    }
    let account = try await database.withTenantTransaction(tenant) {
      try await AccountRecord.find(accountID, on: $0)
    }
    guard let account,
      try await self.context.hasher.verify(request.password, against: account.passwordHash)
    else {
      try await LoginThrottle.recordFailure(username: username, address: address, database: database)
      throw Self.badCredentials
    }
    guard !account.disabled else {
      throw RPCError(code: .unauthenticated, message: "account is disabled")
    }
    if let expiry = account.oneTimePasswordExpiresAt, expiry < Date() {
      throw RPCError(
        code: .unauthenticated,
        message: "one-time password expired; ask your administrator for a new one")
    }
    try await LoginThrottle.recordSuccess(username: username, database: database)
    let appContext = self.context
    let tokens = try await database.withTenantTransaction(tenant) { connection in
      try await connection.query(
        "UPDATE accounts SET last_login_at = now() WHERE account_id = \(account.accountID)",
        logger: connection.logger)
      return try await Sessions.issue(for: account, context: appContext, on: connection)
    }
    return .with {
      $0.tokens = tokens
      $0.passwordChangeRequired = account.passwordChangeRequired
      $0.account = account.message
    }
  }

  public func refreshToken(
    request: Safemap_Account_V1_RefreshTokenRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_RefreshTokenResponse {
    guard let parsed = Sessions.parse(request.refreshToken),
      let tenant = parsed.province == "00" ? Tenant.national : Tenant.province(parsed.province)
    else {
      throw RPCError(code: .unauthenticated, message: "refresh_token: invalid")
    }
    let appContext = self.context
    enum Outcome: Sendable {
      case issued(Safemap_Account_V1_TokenPair)
      case refused(String)
    }
    // The reuse check and the family revocation commit even though the call fails.
    let outcome = try await appContext.database.withTenantTransaction(
      tenant, cancellation: context.cancellation
    ) { connection -> Outcome in
      let rows = try await connection.query(
        """
        SELECT account_id, family_id, secret_hash, expires_at < now(), used_at IS NOT NULL,
               revoked_at IS NOT NULL
        FROM refresh_tokens WHERE token_id = \(parsed.tokenID) FOR UPDATE
        """, logger: connection.logger)
      var found: (UUID, UUID, Data, Bool, Bool, Bool)?
      for try await row in rows.decode((UUID, UUID, Data, Bool, Bool, Bool).self) { found = row }
      guard let (accountID, family, hash, expired, used, revoked) = found,
        Credentials.constantTimeEqual(hash, Credentials.sha256(parsed.secret))
      else { return .refused("refresh_token: invalid") }
      if used || revoked {
        // A rotated token presented again: someone holds a copy. End the whole session.
        try await connection.query(
          "UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE family_id = \(family)",
          logger: connection.logger)
        return .refused("refresh_token: already used; the session has been revoked")
      }
      guard !expired else { return .refused("refresh_token: expired") }
      guard let account = try await AccountRecord.find(accountID, on: connection),
        !account.disabled
      else { return .refused("account is disabled") }
      try await connection.query(
        "UPDATE refresh_tokens SET used_at = now() WHERE token_id = \(parsed.tokenID)",
        logger: connection.logger)
      return .issued(
        try await Sessions.issue(for: account, family: family, context: appContext, on: connection))
    }
    switch outcome {
    case .issued(let tokens): return .with { $0.tokens = tokens }
    case .refused(let reason): throw RPCError(code: .unauthenticated, message: reason)
    }
  }

  public func logout(
    request: Safemap_Account_V1_LogoutRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_LogoutResponse {
    let principal = try RequestPrincipal.require()
    guard let accountID = UUID(uuidString: principal.accountID) else {
      throw RPCError(code: .unauthenticated, message: "token subject is not an account")
    }
    let parsed = Sessions.parse(request.refreshToken)
    if !request.allSessions && parsed == nil {
      throw RPCError(
        code: .invalidArgument, message: "refresh_token: required unless all_sessions is set")
    }
    let allSessions = request.allSessions
    try await self.context.database.withTenantTransaction(
      principal.homeTenant, cancellation: context.cancellation
    ) { connection in
      if allSessions {
        try await Sessions.revokeAll(of: accountID, on: connection)
      } else if let parsed {
        // Revokes the whole session (family) the token belongs to, only if it is the caller's.
        try await connection.query(
          """
          UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
          WHERE account_id = \(accountID) AND family_id =
            (SELECT family_id FROM refresh_tokens WHERE token_id = \(parsed.tokenID))
          """, logger: connection.logger)
      }
    }
    return .init()
  }

  public func changePassword(
    request: Safemap_Account_V1_ChangePasswordRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ChangePasswordResponse {
    let principal = try RequestPrincipal.require()
    let tenant = principal.homeTenant
    let database = self.context.database
    guard let accountID = UUID(uuidString: principal.accountID),
      let account = try await database.withTenantTransaction(tenant, cancellation: context.cancellation, {
        try await AccountRecord.find(accountID, on: $0)
      })
    else { throw RPCError(code: .unauthenticated, message: "account not found") }

    var violations = PasswordPolicy.violations(
      password: request.newPassword, username: account.username, field: "new_password",
      commonPasswords: AccountContext.commonPasswords)
    violations.require(
      request.newPassword != request.currentPassword, "new_password",
      "must differ from the current password")
    guard try await self.context.hasher.verify(request.currentPassword, against: account.passwordHash)
    else {
      throw RPCError(code: .invalidArgument, message: "current_password: does not match")
    }
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    let hash = try await self.context.hasher.hash(request.newPassword)
    let appContext = self.context
    let address = context.clientAddress
    let tokens = try await database.withTenantTransaction(tenant) { connection in
      try await AccountRecord.setPassword(accountID, hash: hash, oneTimeUntil: nil, on: connection)
      try await Sessions.revokeAll(of: accountID, on: connection)
      try await Audit.record(
        AuditEntry(action: "ChangePassword", targetType: "account", targetID: principal.accountID),
        actor: principal, province: tenant.code, clientAddress: address, on: connection)
      var updated = account
      updated.oneTimePasswordExpiresAt = nil
      return try await Sessions.issue(for: updated, context: appContext, on: connection)
    }
    return .with { $0.tokens = tokens }
  }

  public func whoAmI(
    request: Safemap_Account_V1_WhoAmIRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_WhoAmIResponse {
    let principal = try RequestPrincipal.require()
    guard let accountID = UUID(uuidString: principal.accountID),
      let account = try await self.context.database.withTenantTransaction(
        principal.homeTenant, cancellation: context.cancellation, {
          try await AccountRecord.find(accountID, on: $0)
        })
    else { throw RPCError(code: .notFound, message: "account not found") }
    return .with {
      $0.account = account.message
      $0.tokenID = principal.tokenID
      $0.tokenExpireTime = Google_Protobuf_Timestamp(
        date: Date(timeIntervalSince1970: principal.expiresAt))
    }
  }
}
