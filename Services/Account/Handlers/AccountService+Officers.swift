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

/// The account checks of ``AccessPolicy`` applied to stored accounts.
enum AccountScope {
  static func canManage(_ principal: Principal, _ target: AccountRecord) -> Bool {
    AccessPolicy.mayManageAccount(principal, role: target.role, province: target.provinceCode)
  }

  static func canRead(_ principal: Principal, _ target: AccountRecord) -> Bool {
    canManage(principal, target) || principal.accountID == target.accountID.uuidString.lowercased()
  }

  /// The tenant of an account list: ministry accounts live in the national tenant `00`.
  static func listTenant(_ principal: Principal, requested: String) throws -> Tenant {
    guard AccessPolicy.mayListAccounts(principal) else {
      throw RPCError(code: .permissionDenied, message: "only administrators list accounts")
    }
    if principal.role == .ministryAdmin && requested == "00" { return .national }
    return try principal.tenant(forRequested: requested)
  }
}

extension AccountService {
  public func createAccount(
    request: Safemap_Account_V1_CreateAccountRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_CreateAccountResponse {
    let mutation = try AuditedMutation(context, database: self.context.database)
    let principal = mutation.principal
    return try await mutation.run(province: request.provinceCode) {
      var violations = FieldViolations()
      violations.require(Username.isWellFormed(request.username), "username", Username.rule)
      violations.require(
        !Username.isTaxCodeShaped(request.username),
        "username",
        Username.reservedRule
      )
      let role = Role(request.role)
      violations.require(role != nil, "role", "required")
      violations.require(
        role != .facility,
        "role",
        "facility accounts come from IssueFacilityAccounts"
      )
      violations.require(
        request.email.isEmpty || Contact.isEmail(request.email),
        "email",
        "not an e-mail address"
      )
      violations.require(
        request.phone.isEmpty || Contact.isPhone(request.phone),
        "phone",
        "not a phone number"
      )
      violations.require(request.displayName.count <= 200, "display_name", "at most 200 characters")
      if role == .districtOfficer {
        violations.require(
          DistrictCode.isWellFormed(request.districtCode),
          "district_code",
          "required for a district officer: three digits"
        )
      }
      let zoneID = UUID(uuidString: request.zoneID)
      if role == .zoneOfficer {
        violations.require(zoneID != nil, "zone_id", "required for a zone officer")
      }
      guard violations.isEmpty, let role else { throw RPCError.invalidArgument(violations) }
      guard principal.role.creatableRoles.contains(role) else {
        throw RPCError(
          code: .permissionDenied,
          message: "role: a \(principal.role.rawValue) cannot create a \(role.rawValue) account"
        )
      }
      let tenant: Tenant =
        role == .ministryAdmin
        ? .national : try principal.tenant(forRequested: request.provinceCode)

      let password = Credentials.oneTimePassword()
      let expiresAt = Date().addingTimeInterval(self.context.oneTimePasswordLifetime)
      let account = AccountRecord(
        provinceCode: tenant.code,
        accountID: UUID(),
        username: request.username,
        role: role,
        districtCode: role == .districtOfficer ? request.districtCode : nil,
        zoneID: role == .zoneOfficer ? zoneID : nil,
        facilityID: nil,
        displayName: request.displayName,
        email: request.email,
        phone: request.phone,
        passwordHash: Credentials.oneTimePasswordHash(password),
        oneTimePasswordExpiresAt: expiresAt,
        disabled: false,
        createdAt: Date(),
        updatedAt: Date(),
        lastLoginAt: nil
      )
      let requestID = request.requestID.isEmpty ? nil : request.requestID
      let created = try await mutation.commit(in: tenant) {
        connection -> Audited<AccountRecord?> in
        if let requestID {
          let rows = try await connection.query(
            """
            SELECT \(unescaped: AccountRecord.columns) FROM accounts
            WHERE province_code = \(tenant.code) AND request_id = \(requestID)
            """,
            logger: connection.logger
          )
          for try await row in rows { return .unchanged(try AccountRecord(row: row)) }
        }
        if let district = account.districtCode {
          try await Self.requireDistrict(district, province: tenant.code, on: connection)
        }
        if let zone = account.zoneID {
          try await Self.requireZone(zone, province: tenant.code, on: connection)
        }
        try await AccountRecord.insert(
          account,
          requestID: requestID,
          createdBy: UUID(uuidString: principal.accountID),
          on: connection
        )
        return .changed(
          nil,
          target: "account",
          id: account.accountID.uuidString.lowercased(),
          detail: "\(role.rawValue) \(account.username)"
        )
      }
      // A repeated request id returns the account it created; its password was shown once.
      if let created { return .with { $0.account = created.message } }
      return .with {
        $0.account = account.message
        $0.initialPassword = password
        $0.initialPasswordExpireTime = Google_Protobuf_Timestamp(date: expiresAt)
      }
    }
  }

  static func requireDistrict(_ code: String, province: String, on connection: PostgresConnection)
    async throws
  {
    let rows = try await connection.query(
      "SELECT 1 FROM districts WHERE province_code = \(province) AND code = \(code)",
      logger: connection.logger
    )
    for try await _ in rows { return }
    throw RPCError(
      code: .invalidArgument,
      message: "district_code: \(code) is not a district of province \(province)"
    )
  }

  static func requireZone(_ zone: UUID, province: String, on connection: PostgresConnection)
    async throws
  {
    let rows = try await connection.query(
      "SELECT 1 FROM zones WHERE province_code = \(province) AND zone_id = \(zone)",
      logger: connection.logger
    )
    for try await _ in rows { return }
    throw RPCError(code: .invalidArgument, message: "zone_id: no such zone in the province")
  }

  /// The account `id` if the principal may see it (NOT_FOUND otherwise, so ids do not leak).
  func visibleAccount(
    _ id: String,
    principal: Principal,
    manage: Bool,
    context: ServerContext
  ) async throws -> (AccountRecord, Tenant) {
    let database = self.context.database
    let notFound = RPCError(code: .notFound, message: "account_id: no such account")
    guard let accountID = UUID(uuidString: id) else {
      throw RPCError(code: .invalidArgument, message: "account_id: not a valid id")
    }
    guard
      let province = try await database.withGlobalConnection(
        cancellation: context.cancellation,
        {
          try await AccountRecord.locate(id: accountID, on: $0)
        }
      ),
      let tenant = province == "00" ? Tenant.national : Tenant.province(province)
    else { throw notFound }
    // Province users never open another province's tenant at all.
    if principal.role != .ministryAdmin && tenant.code != principal.provinceCode { throw notFound }
    guard
      let account = try await database.withTenantTransaction(
        tenant,
        cancellation: context.cancellation,
        {
          try await AccountRecord.find(accountID, province: tenant.code, on: $0)
        }
      ),
      manage ? AccountScope.canManage(principal, account) : AccountScope.canRead(principal, account)
    else { throw notFound }
    return (account, tenant)
  }

  public func getAccount(
    request: Safemap_Account_V1_GetAccountRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_GetAccountResponse {
    let principal = try RequestPrincipal.require()
    let (account, _) = try await visibleAccount(
      request.accountID,
      principal: principal,
      manage: false,
      context: context
    )
    return .with { $0.account = account.message }
  }

  public func listAccounts(
    request: Safemap_Account_V1_ListAccountsRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListAccountsResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try AccountScope.listTenant(principal, requested: request.provinceCode)
    let page = try Paging.Page<String>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let (after, limit) = (page.after ?? "", page.size)
    var violations = FieldViolations()
    let role = request.role == .unspecified ? nil : Role(request.role)
    violations.require(request.role == .unspecified || role != nil, "role", "unknown role")
    let zone = request.zoneID.isEmpty ? nil : UUID(uuidString: request.zoneID)
    violations.require(request.zoneID.isEmpty || zone != nil, "zone_id", "not a valid id")
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    // A province officer sees only the roles it manages.
    let visibleRoles: [String] =
      principal.role == .ministryAdmin
      ? Role.allCases.map(\.rawValue)
      : Role.provinceOfficer.creatableRoles.map(\.rawValue) + [Role.facility.rawValue]
    let query = SearchText.containsPattern(request.query.lowercased())
    let district = request.districtCode.isEmpty ? nil : request.districtCode
    let includeDisabled = request.includeDisabled
    let accounts = try await self.context.database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection in
      let rows = try await connection.query(
        """
        SELECT \(unescaped: AccountRecord.columns) FROM accounts
        WHERE province_code = \(tenant.code) AND username > \(after)
          AND role = ANY(\(visibleRoles)) AND (\(role?.rawValue)::text IS NULL OR role = \(role?.rawValue))
          AND (\(district)::text IS NULL OR district_code = \(district))
          AND (\(zone)::uuid IS NULL OR zone_id = \(zone))
          AND (\(includeDisabled) OR NOT disabled)
          AND (lower(username) LIKE \(query) OR lower(display_name) LIKE \(query))
        ORDER BY username LIMIT \(limit)
        """,
        logger: connection.logger
      )
      var accounts: [AccountRecord] = []
      for try await row in rows { accounts.append(try AccountRecord(row: row)) }
      return accounts
    }
    return .with {
      $0.accounts = accounts.map(\.message)
      $0.nextPageToken = page.nextToken(after: accounts.last?.username, count: accounts.count)
    }
  }

  public func resetPassword(
    request: Safemap_Account_V1_ResetPasswordRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ResetPasswordResponse {
    let mutation = try AuditedMutation(context, database: self.context.database)
    let principal = mutation.principal
    return try await mutation.run(province: nil) {
      let (account, tenant) = try await visibleAccount(
        request.accountID,
        principal: principal,
        manage: true,
        context: context
      )
      let password = Credentials.oneTimePassword()
      let expiresAt = Date().addingTimeInterval(self.context.oneTimePasswordLifetime)
      try await mutation.commit(in: tenant) { connection in
        try await AccountRecord.setPassword(
          account.accountID,
          province: tenant.code,
          hash: Credentials.oneTimePasswordHash(password),
          oneTimeUntil: expiresAt,
          on: connection
        )
        try await Sessions.revokeAll(of: account.accountID, province: tenant.code, on: connection)
        return .changed((), target: "account", id: account.accountID.uuidString.lowercased())
      }
      return .with {
        $0.initialPassword = password
        $0.initialPasswordExpireTime = Google_Protobuf_Timestamp(date: expiresAt)
      }
    }
  }

  public func setAccountDisabled(
    request: Safemap_Account_V1_SetAccountDisabledRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_SetAccountDisabledResponse {
    let mutation = try AuditedMutation(context, database: self.context.database)
    let principal = mutation.principal
    return try await mutation.run(province: nil) {
      guard request.accountID.lowercased() != principal.accountID else {
        throw RPCError(
          code: .failedPrecondition,
          message: "account_id: you cannot disable yourself"
        )
      }
      let (account, tenant) = try await visibleAccount(
        request.accountID,
        principal: principal,
        manage: true,
        context: context
      )
      let disabled = request.disabled
      let reason = String(request.reason.prefix(500))
      let updated = try await mutation.commit(in: tenant) { connection in
        try await connection.query(
          """
          UPDATE accounts SET disabled = \(disabled), disabled_reason = \(reason), updated_at = now()
          WHERE province_code = \(tenant.code) AND account_id = \(account.accountID)
          """,
          logger: connection.logger
        )
        if disabled {
          try await Sessions.revokeAll(of: account.accountID, province: tenant.code, on: connection)
        }
        return .changed(
          try await AccountRecord.find(account.accountID, province: tenant.code, on: connection),
          target: "account",
          id: account.accountID.uuidString.lowercased(),
          detail: (disabled ? "disabled: " : "enabled: ") + reason
        )
      }
      return .with { $0.account = (updated ?? account).message }
    }
  }
}
