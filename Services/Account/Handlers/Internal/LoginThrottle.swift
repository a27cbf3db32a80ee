import Foundation
import GRPCCore
import PostgresNIO
import SafeMapDatabase

/// Slows down repeated failed logins per username and per client address, with a delay that
/// doubles per failure (1 s after the 3rd failure of a username, up to 15 minutes). Keyed by
/// the username as typed, so unknown and known usernames behave alike; no permanent lock that
/// an attacker could impose; failures older than an hour are forgotten.
enum LoginThrottle {
  struct Rule {
    var freeFailures: Int
    var maximumDelay: Double
  }
  static let perUsername = Rule(freeFailures: 3, maximumDelay: 900)
  static let perAddress = Rule(freeFailures: 20, maximumDelay: 900)

  static func keys(username: String, address: String) -> [(String, Rule)] {
    [("username:" + username.lowercased(), perUsername), ("address:" + address, perAddress)]
  }

  /// RESOURCE_EXHAUSTED with the wait, when any key is blocked now.
  static func check(username: String, address: String, database: Database) async throws {
    let keys = keys(username: username, address: address).map(\.0)
    let wait = try await database.withGlobalConnection { connection in
      let rows = try await connection.query(
        """
        SELECT coalesce(max(extract(epoch FROM blocked_until - now())), 0)::float8
        FROM login_throttle WHERE throttle_key = ANY(\(keys)) AND blocked_until > now()
        """, logger: connection.logger)
      var wait = 0.0
      for try await value in rows.decode(Double.self) { wait = value }
      return wait
    }
    if wait > 0 {
      throw RPCError(
        code: .resourceExhausted,
        message: "too many failed logins; retry in \(Int(wait.rounded(.up))) s")
    }
  }

  static func recordFailure(username: String, address: String, database: Database) async throws {
    let keys = keys(username: username, address: address)
    try await database.withGlobalConnection { connection in
      for (key, rule) in keys {
        try await connection.query(
          """
          INSERT INTO login_throttle AS t (throttle_key, failures, last_failure_at, blocked_until)
          VALUES (\(key), 1, now(), now())
          ON CONFLICT (throttle_key) DO UPDATE SET
            failures = CASE WHEN t.last_failure_at < now() - interval '1 hour' THEN 1
                            ELSE t.failures + 1 END,
            last_failure_at = now(),
            blocked_until = now() + make_interval(secs => CASE
              WHEN t.last_failure_at < now() - interval '1 hour' THEN 0
              WHEN t.failures + 1 <= \(rule.freeFailures) THEN 0
              ELSE least(\(rule.maximumDelay), power(2, t.failures + 1 - \(rule.freeFailures) - 1))
            END)
          """, logger: connection.logger)
      }
    }
  }

  static func recordSuccess(username: String, database: Database) async throws {
    try await database.withGlobalConnection { connection in
      try await connection.query(
        "DELETE FROM login_throttle WHERE throttle_key = \("username:" + username.lowercased())",
        logger: connection.logger)
    }
  }
}
