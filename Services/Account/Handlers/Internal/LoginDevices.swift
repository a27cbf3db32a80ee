import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAuth
import SafeMapCore
import SafeMapDatabase

/// Device tokens (OWASP's device cookies): a client where a username signed in successfully
/// gets a random token for that username; presenting it with a later login of the same
/// username makes the device its own throttle key (``LoginThrottle``), so failures by others
/// behind the same address do not slow the owner down. Only the SHA-256 of a token is stored;
/// a username keeps its 20 newest devices, each for 180 days.
enum LoginDevices {
  static let lifetime: TimeInterval = 180 * 86_400
  static let perUsername = 20
  /// A device token is 43 characters; anything much longer is not one.
  static let maximumLength = 128

  /// The throttle name of `token` when it is a live device of `username`, else nil.
  static func find(
    _ token: String,
    username: String,
    database: Database,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws -> String? {
    guard !token.isEmpty, token.utf8.count <= maximumLength else { return nil }
    let hash = Credentials.sha256(token)
    let key = username.lowercased()
    let found = try await database.withGlobalConnection(cancellation: cancellation) {
      connection in
      let rows = try await connection.query(
        """
        SELECT 1 FROM login_devices
        WHERE device_hash = \(hash) AND username_key = \(key) AND expires_at > now()
        """,
        logger: connection.logger
      )
      for try await _ in rows { return true }
      return false
    }
    return found ? hash.prefix(16).map { String(format: "%02x", $0) }.joined() : nil
  }

  /// The token to hand back after a successful login: the one presented when it is live,
  /// else a new one (the username's oldest devices beyond 20, and expired ones, are dropped).
  static func remember(
    presented: String?,
    username: String,
    database: Database,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws -> String {
    if let presented { return presented }
    let token = Secret.randomToken()
    let hash = Credentials.sha256(token)
    let key = username.lowercased()
    let expires = Date().addingTimeInterval(lifetime)
    let keep = perUsername
    try await database.withGlobalConnection(cancellation: cancellation) { connection in
      try await connection.query(
        """
        WITH added AS (
          INSERT INTO login_devices (device_hash, username_key, expires_at)
          VALUES (\(hash), \(key), \(expires)))
        DELETE FROM login_devices WHERE username_key = \(key) AND (expires_at <= now()
          OR device_hash IN (SELECT device_hash FROM login_devices WHERE username_key = \(key)
                             ORDER BY created_at DESC OFFSET \(keep - 1)))
        """,
        logger: connection.logger
      )
    }
    return token
  }
}
