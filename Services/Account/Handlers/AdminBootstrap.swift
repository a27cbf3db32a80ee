import Foundation
import GRPCCore
public import Logging
import NIOPosix
import PostgresNIO
import SafeMapAuth
import SafeMapContract
import SafeMapCore
public import SafeMapDatabase

/// Creates the first ministry admin from `SAFEMAP_BOOTSTRAP_ADMIN` and
/// `SAFEMAP_BOOTSTRAP_PASSWORD` when no account of that name exists. There is no built-in
/// password: without both variables nothing is created. Running it again changes nothing, so it
/// is safe at every start of every replica.
public struct AdminBootstrap: Sendable {
  public let username: String
  let password: String

  public struct Invalid: Error, CustomStringConvertible {
    public var description: String
  }

  /// `nil` when the variables are not set; throws when they are set but unusable.
  public init?(environment: [String: String]) throws {
    let username = environment["SAFEMAP_BOOTSTRAP_ADMIN"] ?? ""
    let password = environment["SAFEMAP_BOOTSTRAP_PASSWORD"] ?? ""
    if username.isEmpty && password.isEmpty { return nil }
    guard !username.isEmpty, !password.isEmpty else {
      throw Invalid(
        description: "set both SAFEMAP_BOOTSTRAP_ADMIN and SAFEMAP_BOOTSTRAP_PASSWORD, or neither"
      )
    }
    guard Username.isWellFormed(username) else {
      throw Invalid(description: "SAFEMAP_BOOTSTRAP_ADMIN: \(Username.rule)")
    }
    guard !Username.isTaxCodeShaped(username) else {
      throw Invalid(description: "SAFEMAP_BOOTSTRAP_ADMIN: \(Username.reservedRule)")
    }
    let violations = PasswordPolicy.violations(
      password: password,
      username: username,
      field: "SAFEMAP_BOOTSTRAP_PASSWORD"
    )
    guard violations.isEmpty else { throw Invalid(description: violations.message) }
    self.username = username
    self.password = password
  }

  /// Creates the account unless the username is taken. Returns whether it created one.
  @discardableResult
  public func apply(database: Database, logger: Logger) async throws -> Bool {
    let key = username.lowercased()
    let exists = try await database.withMaintenanceConnection { connection in
      let rows = try await connection.query(
        "SELECT 1 FROM account_directory WHERE username_key = \(key)",
        logger: logger
      )
      for try await _ in rows { return true }
      return false
    }
    if exists { return false }
    let username = self.username
    let pool = NIOThreadPool(numberOfThreads: 1)
    pool.start()
    let hash = try await PasswordHasher(pool: pool).hash(password)
    try await pool.shutdownGracefully()
    let accountID = UUID()
    do {
      try await database.withMaintenanceTransaction(.national) { connection in
        try await connection.query(
          """
          INSERT INTO account_directory (username_key, account_id, province_code)
          VALUES (\(username.lowercased()), \(accountID), '00')
          """,
          logger: logger
        )
        try await connection.query(
          """
          INSERT INTO accounts (province_code, account_id, username, role, display_name,
                                password_hash)
          VALUES ('00', \(accountID), \(username), 'MINISTRY_ADMIN', 'Bootstrap administrator',
                  \(hash))
          """,
          logger: logger
        )
        try await connection.query(
          """
          INSERT INTO audit_events (province_code, actor_username, actor_role, action,
                                    target_type, target_id, outcome, detail)
          VALUES ('00', 'system', 'SYSTEM', 'BootstrapAdmin', 'account', \(accountID.uuidString),
                  'SUCCESS', \("created first ministry admin " + username))
          """,
          logger: logger
        )
      }
    } catch let error as RPCError where error.code == .alreadyExists {
      return false  // another replica created it at the same moment
    }
    logger.notice("created the first ministry admin", metadata: ["username": "\(username)"])
    return true
  }
}
