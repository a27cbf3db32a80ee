import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapCore
import SwiftProtobuf

/// Access tokens and rotating refresh tokens. A refresh token reads
/// `<province>.<token id>.<secret>`: the province routes the lookup to its tenant, the id finds
/// the row, and only the SHA-256 of the secret is stored.
enum Sessions {
  /// Signs an access token for `account` and stores a new refresh token in `family` (a new
  /// family for a login). A rotated refresh token never outlives its session: it expires at
  /// the earlier of its own lifetime and the session's absolute end (30 days after the login).
  static func issue(
    for account: AccountRecord,
    family: UUID = UUID(),
    sessionStartedAt: Date = Date(),
    context: AccountContext,
    on connection: PostgresConnection
  ) async throws -> Safemap_Account_V1_TokenPair {
    let (token, claims) = try await context.signer.sign(account.principal)
    let tokenID = UUID()
    let secret = Secret.randomToken()
    let expiresAt = min(
      Date().addingTimeInterval(context.refreshTokenLifetime),
      sessionStartedAt.addingTimeInterval(context.sessionLifetime)
    )
    try await connection.query(
      """
      INSERT INTO refresh_tokens (province_code, token_id, account_id, family_id, secret_hash,
                                  expires_at, session_started_at)
      VALUES (\(account.provinceCode), \(tokenID), \(account.accountID), \(family),
              \(Credentials.sha256(secret)), \(expiresAt), \(sessionStartedAt))
      """,
      logger: connection.logger
    )
    return .with {
      $0.accessToken = token
      $0.accessTokenExpireTime = Google_Protobuf_Timestamp(date: claims.expiresAt)
      $0.refreshToken = "\(account.provinceCode).\(tokenID.uuidString.lowercased()).\(secret)"
      $0.refreshTokenExpireTime = Google_Protobuf_Timestamp(date: expiresAt)
    }
  }

  struct Parsed {
    var province: String
    var tokenID: UUID
    var secret: String
  }

  static func parse(_ token: String) -> Parsed? {
    let parts = token.split(separator: ".", maxSplits: 2).map(String.init)
    guard parts.count == 3, parts[0] == "00" || ProvinceCode.isWellFormed(parts[0]),
      let id = UUID(uuidString: parts[1]), !parts[2].isEmpty
    else { return nil }
    return Parsed(province: parts[0], tokenID: id, secret: parts[2])
  }

  /// Ends every session of an account: its refresh tokens and its browser sessions.
  static func revokeAll(of account: UUID, province: String, on connection: PostgresConnection)
    async throws
  {
    try await WebSessions.endAll(of: account, province: province, on: connection)
    try await connection.query(
      """
      UPDATE refresh_tokens SET revoked_at = now()
      WHERE province_code = \(province) AND account_id = \(account)
        AND revoked_at IS NULL
      """,
      logger: connection.logger
    )
  }
}
