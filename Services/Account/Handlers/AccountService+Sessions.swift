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

extension AccountService {
  static let badCredentials = RPCError(
    code: .unauthenticated,
    message: "invalid username or password"
  )

  public func login(
    request: Safemap_Account_V1_LoginRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_LoginResponse {
    let signedIn = try await signIn(
      username: request.username,
      password: request.password,
      deviceToken: request.deviceToken,
      action: context.descriptor.method,
      context: context
    )
    let appContext = self.context
    let account = signedIn.account
    let tokens = try await appContext.database.withTenantTransaction(
      signedIn.tenant,
      cancellation: context.cancellation
    ) { connection in
      try await Sessions.issue(for: account, context: appContext, on: connection)
    }
    return .with {
      $0.tokens = tokens
      $0.passwordChangeRequired = account.passwordChangeRequired
      $0.account = account.message
      $0.deviceToken = signedIn.deviceToken
    }
  }

  /// An account whose password was just checked.
  struct SignedIn: Sendable {
    var account: AccountRecord
    var tenant: Tenant
    /// What the client keeps for this username's next sign-ins (``LoginDevices``).
    var deviceToken: String
  }

  /// The password check of `Login` and `CreateWebSession`, audited either way: throttled
  /// (``LoginThrottle``: reserved before the hash), the same answer and the same time for an
  /// unknown username as for a wrong password. Attempts on an existing account are audited in
  /// its province, on an unknown username in the national log; refusals while throttled are
  /// summarised (the 1st, 10th, 100th, … of a block).
  func signIn(
    username: String,
    password: String,
    deviceToken: String,
    action: String,
    context: ServerContext
  ) async throws -> SignedIn {
    let database = self.context.database
    let address = context.clientAddress
    var tenant = Tenant.national
    do {
      let signedIn = try await checkPassword(
        username: username,
        password: password,
        deviceToken: deviceToken,
        address: address,
        context: context,
        tenant: &tenant
      )
      await Audit.recordAnonymous(
        AuditEntry(
          action: action,
          targetType: "account",
          targetID: signedIn.account.accountID.uuidString.lowercased()
        ),
        outcome: .success,
        username: username,
        clientAddress: address,
        tenant: signedIn.tenant,
        database: database,
        cancellation: context.cancellation
      )
      return signedIn
    } catch let throttled as LoginThrottle.Throttled {
      if throttled.isAudited {
        await Audit.recordAnonymous(
          AuditEntry(
            action: action,
            detail: "\(throttled.refused) attempt(s) refused while throttled; "
              + throttled.rpcErrorMessage
          ),
          outcome: .failed,
          username: username,
          clientAddress: address,
          database: database,
          cancellation: context.cancellation
        )
      }
      throw RPCError(throttled)
    } catch let error as RPCError {
      // Failed sign-ins are audited with the username as typed and the address, never the
      // password.
      if let outcome = Audit.outcome(for: error.code) {
        await Audit.recordAnonymous(
          AuditEntry(action: action, detail: error.message),
          outcome: outcome,
          username: username,
          clientAddress: address,
          tenant: tenant,
          database: database,
          cancellation: context.cancellation
        )
      }
      throw error
    }
  }

  /// `tenant` is set to the account's as soon as the username is found, for the audit.
  private func checkPassword(
    username: String,
    password: String,
    deviceToken: String,
    address: String,
    context: ServerContext,
    tenant: inout Tenant
  ) async throws -> SignedIn {
    var violations = FieldViolations()
    violations.require(!username.isEmpty, "username", "required")
    violations.require(username.utf8.count <= 128, "username", "at most 128 bytes")
    violations.require(!password.isEmpty, "password", "required")
    violations.require(password.utf8.count <= 1024, "password", "at most 1024 bytes")
    violations.require(
      deviceToken.utf8.count <= LoginDevices.maximumLength,
      "device_token",
      "at most \(LoginDevices.maximumLength) bytes"
    )
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    let database = self.context.database
    let hasher = self.context.hasher
    let cancellation = context.cancellation
    let device = try await LoginDevices.find(
      deviceToken,
      username: username,
      database: database,
      cancellation: cancellation
    )
    let attempt = try await LoginThrottle.begin(
      LoginThrottle.keys(username: username, address: address, device: device),
      database: database,
      cancellation: cancellation
    )
    let located = try await database.withGlobalConnection(cancellation: cancellation) {
      try await AccountRecord.locate(username: username, on: $0)
    }
    guard let (accountID, province) = located,
      let accountTenant = province == "00" ? Tenant.national : Tenant.province(province)
    else {
      // Same work, same answer as a wrong password.
      try await hasher.verifyDummy(password, cancellation: cancellation)
      try await LoginThrottle.failed(attempt, database: database, cancellation: cancellation)
      throw Self.badCredentials
    }
    tenant = accountTenant
    let account = try await database.withTenantTransaction(
      accountTenant,
      cancellation: cancellation
    ) {
      try await AccountRecord.find(accountID, province: accountTenant.code, on: $0)
    }
    guard let account,
      try await hasher.verify(password, against: account.passwordHash, cancellation: cancellation)
    else {
      try await LoginThrottle.failed(attempt, database: database, cancellation: cancellation)
      throw Self.badCredentials
    }
    guard !account.disabled else {
      throw RPCError(code: .unauthenticated, message: "account is disabled")
    }
    try Self.requireUnexpiredOneTimePassword(account)
    try await LoginThrottle.succeeded(attempt, database: database, cancellation: cancellation)
    let token = try await LoginDevices.remember(
      presented: device == nil ? nil : deviceToken,
      username: username,
      database: database,
      cancellation: cancellation
    )
    try await database.withTenantTransaction(accountTenant, cancellation: cancellation) {
      connection in
      try await connection.query(
        """
        UPDATE accounts SET last_login_at = now(), activated_at = coalesce(activated_at, now())
        WHERE province_code = \(account.provinceCode) AND account_id = \(account.accountID)
        """,
        logger: connection.logger
      )
    }
    return SignedIn(account: account, tenant: accountTenant, deviceToken: token)
  }

  /// A one-time password past its expiry opens nothing: not a login, not a refresh of a
  /// session it opened, not the password change it was issued for.
  /// A facility's one-time password is reissued by its district or zone board (the
  /// hand-out); an official's by an administrator.
  static func expiredMessage(_ account: AccountRecord) -> String {
    "one-time password expired; ask "
      + (account.role == .facility
        ? "your district (or zone board) office for a new one"
        : "your administrator for a new one")
  }

  static func requireUnexpiredOneTimePassword(_ account: AccountRecord) throws {
    if let expiry = account.oneTimePasswordExpiresAt, expiry < Date() {
      throw RPCError(code: .unauthenticated, message: expiredMessage(account))
    }
  }

  public func refreshToken(
    request: Safemap_Account_V1_RefreshTokenRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_RefreshTokenResponse {
    let database = self.context.database
    let address = context.clientAddress
    do {
      return try await rotate(request, context: context)
    } catch let error as RPCError {
      if let outcome = Audit.outcome(for: error.code) {
        await Audit.recordAnonymous(
          AuditEntry(action: context.descriptor.method, detail: error.message),
          outcome: outcome,
          username: "",
          clientAddress: address,
          database: database,
          cancellation: context.cancellation
        )
      }
      throw error
    }
  }

  private func rotate(
    _ request: Safemap_Account_V1_RefreshTokenRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_RefreshTokenResponse {
    guard request.refreshToken.utf8.count <= 256, let parsed = Sessions.parse(request.refreshToken),
      let tenant = parsed.province == "00" ? Tenant.national : Tenant.province(parsed.province)
    else {
      throw RPCError(code: .unauthenticated, message: "refresh_token: invalid")
    }
    let appContext = self.context
    enum Outcome: Sendable {
      case issued(Safemap_Account_V1_TokenPair)
      case refused(String)
    }
    let sessionLimit = appContext.sessionLifetime
    // The reuse check and the family revocation commit even though the call fails.
    let outcome = try await appContext.database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection -> Outcome in
      let rows = try await connection.query(
        """
        SELECT account_id, family_id, secret_hash, expires_at < now(), used_at IS NOT NULL,
               revoked_at IS NOT NULL, session_started_at
        FROM refresh_tokens
        WHERE province_code = \(tenant.code) AND token_id = \(parsed.tokenID) FOR UPDATE
        """,
        logger: connection.logger
      )
      var found: (UUID, UUID, Data, Bool, Bool, Bool, Date)?
      for try await row in rows.decode((UUID, UUID, Data, Bool, Bool, Bool, Date).self) {
        found = row
      }
      guard let (accountID, family, hash, expired, used, revoked, started) = found,
        Secret.equal(hash, Credentials.sha256(parsed.secret))
      else { return .refused("refresh_token: invalid") }
      if used || revoked {
        // A rotated token presented again: someone holds a copy. End the whole session.
        try await connection.query(
          """
          UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
          WHERE province_code = \(tenant.code) AND family_id = \(family)
          """,
          logger: connection.logger
        )
        return .refused("refresh_token: already used; the session has been revoked")
      }
      guard !expired else { return .refused("refresh_token: expired") }
      guard started.addingTimeInterval(sessionLimit) > Date() else {
        return .refused("refresh_token: the session is older than 30 days; log in again")
      }
      guard
        let account = try await AccountRecord.find(
          accountID,
          province: tenant.code,
          on: connection
        ),
        !account.disabled
      else { return .refused("account is disabled") }
      if let expiry = account.oneTimePasswordExpiresAt, expiry < Date() {
        return .refused(Self.expiredMessage(account))
      }
      try await connection.query(
        """
        UPDATE refresh_tokens SET used_at = now()
        WHERE province_code = \(tenant.code) AND token_id = \(parsed.tokenID)
        """,
        logger: connection.logger
      )
      return .issued(
        try await Sessions.issue(
          for: account,
          family: family,
          sessionStartedAt: started,
          context: appContext,
          on: connection
        )
      )
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
    let mutation = try AuditedMutation(context, database: self.context.database)
    let principal = mutation.principal
    return try await mutation.run(province: nil) {
      guard let accountID = UUID(uuidString: principal.accountID) else {
        throw RPCError(code: .unauthenticated, message: "token subject is not an account")
      }
      let parsed = Sessions.parse(request.refreshToken)
      if !request.allSessions && parsed == nil {
        throw RPCError(
          code: .invalidArgument,
          message: "refresh_token: required unless all_sessions is set"
        )
      }
      let allSessions = request.allSessions
      let tenant = principal.homeTenant
      try await mutation.commit(in: tenant) { connection in
        if allSessions {
          try await Sessions.revokeAll(of: accountID, province: tenant.code, on: connection)
        } else if let parsed {
          // Revokes the whole session (family) the token belongs to, only if it is the caller's.
          try await connection.query(
            """
            UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
            WHERE province_code = \(tenant.code) AND account_id = \(accountID) AND family_id =
              (SELECT family_id FROM refresh_tokens
               WHERE province_code = \(tenant.code) AND token_id = \(parsed.tokenID))
            """,
            logger: connection.logger
          )
        }
        return .changed(
          (),
          target: "account",
          id: principal.accountID,
          detail: allSessions ? "all sessions" : "one session"
        )
      }
      return .init()
    }
  }

  public func changePassword(
    request: Safemap_Account_V1_ChangePasswordRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ChangePasswordResponse {
    let mutation = try AuditedMutation(context, database: self.context.database)
    return try await mutation.run(province: nil) {
      try await changePassword(request, mutation: mutation, context: context)
    }
  }

  private func changePassword(
    _ request: Safemap_Account_V1_ChangePasswordRequest,
    mutation: AuditedMutation,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ChangePasswordResponse {
    let principal = mutation.principal
    let tenant = principal.homeTenant
    let database = self.context.database
    let hasher = self.context.hasher
    let cancellation = context.cancellation
    let address = context.clientAddress
    var violations = FieldViolations()
    violations.require(
      request.currentPassword.utf8.count <= 1024,
      "current_password",
      "at most 1024 bytes"
    )
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    guard let accountID = UUID(uuidString: principal.accountID),
      let account = try await database.withTenantTransaction(
        tenant,
        cancellation: cancellation,
        {
          try await AccountRecord.find(accountID, province: tenant.code, on: $0)
        }
      )
    else { throw RPCError(code: .unauthenticated, message: "account not found") }
    try Self.requireUnexpiredOneTimePassword(account)

    violations = PasswordPolicy.violations(
      password: request.newPassword,
      username: account.username,
      field: "new_password",
      commonPasswords: AccountContext.commonPasswords
    )
    violations.require(
      request.newPassword != request.currentPassword,
      "new_password",
      "must differ from the current password"
    )
    // Guessing the current password with a stolen access token is throttled like a login.
    let attempt: LoginThrottle.Attempt
    do {
      attempt = try await LoginThrottle.begin(
        LoginThrottle.keys(username: account.username, address: address),
        database: database,
        cancellation: cancellation
      )
    } catch let throttled as LoginThrottle.Throttled {
      throw RPCError(throttled)
    }
    guard
      try await hasher.verify(
        request.currentPassword,
        against: account.passwordHash,
        cancellation: cancellation
      )
    else {
      try await LoginThrottle.failed(attempt, database: database, cancellation: cancellation)
      throw RPCError(code: .invalidArgument, message: "current_password: does not match")
    }
    try await LoginThrottle.succeeded(attempt, database: database, cancellation: cancellation)
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    let hash = try await hasher.hash(request.newPassword, cancellation: cancellation)
    let appContext = self.context
    let tokens = try await mutation.commit(in: tenant) { connection in
      try await AccountRecord.setPassword(
        accountID,
        province: tenant.code,
        hash: hash,
        oneTimeUntil: nil,
        on: connection
      )
      try await Sessions.revokeAll(of: accountID, province: tenant.code, on: connection)
      var updated = account
      updated.oneTimePasswordExpiresAt = nil
      return .changed(
        try await Sessions.issue(for: updated, context: appContext, on: connection),
        target: "account",
        id: principal.accountID
      )
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
        principal.homeTenant,
        cancellation: context.cancellation,
        {
          try await AccountRecord.find(accountID, province: principal.homeTenant.code, on: $0)
        }
      )
    else { throw RPCError(code: .notFound, message: "account not found") }
    return .with {
      $0.account = account.message
      $0.tokenID = principal.tokenID
      $0.tokenExpireTime = Google_Protobuf_Timestamp(
        date: Date(timeIntervalSince1970: principal.expiresAt)
      )
    }
  }
}
