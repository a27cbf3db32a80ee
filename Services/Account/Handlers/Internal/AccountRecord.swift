import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SwiftProtobuf

/// One row of `accounts`, with the SQL that reads and writes it.
struct AccountRecord: Sendable {
  var provinceCode: String
  var accountID: UUID
  var username: String
  var role: Role
  var districtCode: String?
  var zoneID: UUID?
  var facilityID: UUID?
  var displayName: String
  var email: String
  var phone: String
  var passwordHash: String
  var oneTimePasswordExpiresAt: Date?
  var disabled: Bool
  var createdAt: Date
  var updatedAt: Date
  var lastLoginAt: Date?

  static let columns = """
    province_code, account_id, username, role, district_code, zone_id, facility_id, display_name,
    email, phone, password_hash, one_time_password_expires_at, disabled, created_at, updated_at,
    last_login_at
    """

}

extension AccountRecord {
  init(row: PostgresRow) throws {
    let (
      province, id, username, role, district, zone, facility, displayName, email, phone,
      passwordHash, oneTimeUntil, disabled, created, updated, lastLogin
    ) = try row.decode(
      (
        String, UUID, String, String, String?, UUID?, UUID?, String, String, String, String,
        Date?, Bool, Date, Date, Date?
      ).self,
      context: .default
    )
    self.provinceCode = province
    self.accountID = id
    self.username = username
    self.role = Role(rawValue: role) ?? .facility
    self.districtCode = district
    self.zoneID = zone
    self.facilityID = facility
    self.displayName = displayName
    self.email = email
    self.phone = phone
    self.passwordHash = passwordHash
    self.oneTimePasswordExpiresAt = oneTimeUntil
    self.disabled = disabled
    self.createdAt = created
    self.updatedAt = updated
    self.lastLoginAt = lastLogin
  }

  /// Whether the account still holds a one-time password.
  var passwordChangeRequired: Bool { oneTimePasswordExpiresAt != nil }

  var principal: Principal {
    Principal(
      accountID: accountID.uuidString.lowercased(),
      username: username,
      role: role,
      provinceCode: role == .ministryAdmin ? "" : provinceCode,
      districtCode: districtCode ?? "",
      zoneID: zoneID?.uuidString.lowercased() ?? "",
      facilityID: facilityID?.uuidString.lowercased() ?? "",
      passwordChangeRequired: passwordChangeRequired
    )
  }

  var message: Safemap_Account_V1_Account {
    .with {
      $0.accountID = accountID.uuidString.lowercased()
      $0.username = username
      $0.role = role.message
      $0.scope = .with { scope in
        scope.provinceCode = role == .ministryAdmin ? "" : provinceCode
        scope.districtCode = districtCode ?? ""
        scope.zoneID = zoneID?.uuidString.lowercased() ?? ""
        scope.facilityID = facilityID?.uuidString.lowercased() ?? ""
      }
      $0.displayName = displayName
      $0.email = email
      $0.phone = phone
      $0.disabled = disabled
      $0.passwordChangeRequired = passwordChangeRequired
      $0.createTime = Google_Protobuf_Timestamp(date: createdAt)
      $0.updateTime = Google_Protobuf_Timestamp(date: updatedAt)
      if let lastLoginAt { $0.lastLoginTime = Google_Protobuf_Timestamp(date: lastLoginAt) }
    }
  }

  // MARK: SQL

  static func find(
    _ id: UUID,
    province: String,
    on connection: PostgresConnection
  ) async throws -> AccountRecord? {
    let rows = try await connection.query(
      """
      SELECT \(unescaped: columns) FROM accounts
      WHERE province_code = \(province) AND account_id = \(id)
      """,
      logger: connection.logger
    )
    for try await row in rows { return try AccountRecord(row: row) }
    return nil
  }

  /// Where an account lives, from the global directory: `(account id, province)`.
  static func locate(username: String, on connection: PostgresConnection) async throws
    -> (UUID, String)?
  {
    let rows = try await connection.query(
      "SELECT account_id, province_code FROM account_directory WHERE username_key = \(username.lowercased())",
      logger: connection.logger
    )
    for try await located in rows.decode((UUID, String).self) { return located }
    return nil
  }

  static func locate(id: UUID, on connection: PostgresConnection) async throws -> String? {
    let rows = try await connection.query(
      "SELECT province_code FROM account_directory WHERE account_id = \(id)",
      logger: connection.logger
    )
    for try await province in rows.decode(String.self) { return province }
    return nil
  }

  /// Inserts the directory entry and the account; a taken username is ALREADY_EXISTS.
  static func insert(
    _ account: AccountRecord,
    requestID: String?,
    createdBy: UUID?,
    on connection: PostgresConnection
  ) async throws {
    let taken = try await connection.query(
      """
      INSERT INTO account_directory (username_key, account_id, province_code)
      VALUES (\(account.username.lowercased()), \(account.accountID), \(account.provinceCode))
      ON CONFLICT (username_key) DO NOTHING RETURNING 1
      """,
      logger: connection.logger
    )
    var inserted = false
    for try await _ in taken { inserted = true }
    guard inserted else {
      throw RPCError(
        code: .alreadyExists,
        message: "username: \(account.username) is already taken"
      )
    }
    try await connection.query(
      """
      INSERT INTO accounts (province_code, account_id, username, role, district_code, zone_id,
        facility_id, display_name, email, phone, password_hash, one_time_password_expires_at,
        request_id, created_by)
      VALUES (\(account.provinceCode), \(account.accountID), \(account.username),
        \(account.role.rawValue), \(account.districtCode), \(account.zoneID), \(account.facilityID),
        \(account.displayName), \(account.email), \(account.phone), \(account.passwordHash),
        \(account.oneTimePasswordExpiresAt), \(requestID), \(createdBy))
      """,
      logger: connection.logger
    )
  }

  static func setPassword(
    _ id: UUID,
    province: String,
    hash: String,
    oneTimeUntil: Date?,
    on connection: PostgresConnection
  ) async throws {
    try await connection.query(
      """
      UPDATE accounts SET password_hash = \(hash), one_time_password_expires_at = \(oneTimeUntil),
        updated_at = now()
      WHERE province_code = \(province) AND account_id = \(id)
      """,
      logger: connection.logger
    )
  }
}
