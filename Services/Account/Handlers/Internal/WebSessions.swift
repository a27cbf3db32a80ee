import Foundation
import PostgresNIO
import SafeMapAuth
import SafeMapCore

/// Browser sessions in `web_sessions`. A session id reads `<province>.<id>.<secret>` like a
/// refresh token (``Sessions/parse(_:)``): the province routes the lookup to its tenant, and
/// only the SHA-256 of the secret is stored. Sessions hold no token: each lookup mints a
/// fresh access token, so web-service replicas never race to rotate anything.
enum WebSessions {
  /// A live session as stored.
  struct Row: Sendable {
    var accountID: UUID
    var csrfToken: String
    var expiresAt: Date
  }

  /// Opens a session for `account`, ending its oldest live ones beyond `keep - 1` and
  /// dropping its sessions that ended more than a day ago. Returns the id and the row.
  static func open(
    for account: AccountRecord,
    lifetime: TimeInterval,
    keep: Int,
    clientAddress: String,
    on connection: PostgresConnection
  ) async throws -> (id: String, row: Row) {
    let province = account.provinceCode
    let accountID = account.accountID
    try await connection.query(
      """
      DELETE FROM web_sessions
      WHERE province_code = \(province) AND account_id = \(accountID)
        AND coalesce(ended_at, expires_at) < now() - interval '1 day'
      """,
      logger: connection.logger
    )
    try await connection.query(
      """
      UPDATE web_sessions SET ended_at = now()
      WHERE province_code = \(province) AND account_id = \(accountID) AND session_id IN (
        SELECT session_id FROM web_sessions
        WHERE province_code = \(province) AND account_id = \(accountID)
          AND ended_at IS NULL AND expires_at > now()
        ORDER BY created_at DESC OFFSET \(max(0, keep - 1)))
      """,
      logger: connection.logger
    )
    let sessionID = UUID()
    let secret = Secret.randomToken()
    let row = Row(
      accountID: accountID,
      csrfToken: Secret.randomToken(),
      expiresAt: Date().addingTimeInterval(lifetime)
    )
    try await connection.query(
      """
      INSERT INTO web_sessions (province_code, session_id, account_id, secret_hash, csrf_token,
                                expires_at, client_address)
      VALUES (\(province), \(sessionID), \(accountID), \(Credentials.sha256(secret)),
              \(row.csrfToken), \(row.expiresAt), \(String(clientAddress.prefix(100))))
      """,
      logger: connection.logger
    )
    return ("\(province).\(sessionID.uuidString.lowercased()).\(secret)", row)
  }

  /// The live session `parsed` names (its secret matches, not ended, not expired, not idle
  /// longer than `idle`), marked as seen; nil otherwise.
  static func find(
    _ parsed: Sessions.Parsed,
    idle: TimeInterval,
    on connection: PostgresConnection
  ) async throws -> Row? {
    let rows = try await connection.query(
      """
      SELECT account_id, secret_hash, csrf_token, expires_at, last_seen_at
      FROM web_sessions
      WHERE province_code = \(parsed.province) AND session_id = \(parsed.tokenID)
        AND ended_at IS NULL AND expires_at > now()
      """,
      logger: connection.logger
    )
    var found: (UUID, Data, String, Date, Date)?
    for try await row in rows.decode((UUID, Data, String, Date, Date).self) { found = row }
    guard let (accountID, hash, csrf, expires, lastSeen) = found,
      Secret.equal(hash, Credentials.sha256(parsed.secret)),
      lastSeen.addingTimeInterval(idle) > Date()
    else { return nil }
    // One write a minute at most, however many pages a session opens.
    if lastSeen < Date().addingTimeInterval(-60) {
      try await connection.query(
        """
        UPDATE web_sessions SET last_seen_at = now()
        WHERE province_code = \(parsed.province) AND session_id = \(parsed.tokenID)
        """,
        logger: connection.logger
      )
    }
    return Row(accountID: accountID, csrfToken: csrf, expiresAt: expires)
  }

  /// Ends the session `parsed` names when its secret matches; the account it belonged to.
  static func end(_ parsed: Sessions.Parsed, on connection: PostgresConnection) async throws
    -> UUID?
  {
    let rows = try await connection.query(
      """
      UPDATE web_sessions SET ended_at = coalesce(ended_at, now())
      WHERE province_code = \(parsed.province) AND session_id = \(parsed.tokenID)
        AND secret_hash = \(Credentials.sha256(parsed.secret))
      RETURNING account_id
      """,
      logger: connection.logger
    )
    for try await accountID in rows.decode(UUID.self) { return accountID }
    return nil
  }

  /// Ends every session of an account (password change, sign-out everywhere, disabling).
  static func endAll(of account: UUID, province: String, on connection: PostgresConnection)
    async throws
  {
    try await connection.query(
      """
      UPDATE web_sessions SET ended_at = now()
      WHERE province_code = \(province) AND account_id = \(account) AND ended_at IS NULL
      """,
      logger: connection.logger
    )
  }
}
