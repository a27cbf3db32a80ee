import Foundation
import GRPCCore
import PostgresNIO
import SafeMapDatabase

#if canImport(Glibc)
  import Glibc
#endif

/// Slows down repeated failed password checks (`Login`, and `ChangePassword`'s current
/// password), counted per (username, client address) and per client address, with a delay that
/// doubles per failure up to 15 minutes; failures older than an hour are forgotten.
///
/// Nothing is counted per username alone: a facility's username is its public tax code, and a
/// count anyone can raise would let anyone lock the facility out. Failures from one address
/// therefore never refuse the right password from another. What stays slow is guessing: one
/// address gets 3 free guesses at a username, then waits 1 s, 2 s, … 15 min (about 16 guesses
/// in the first hour, 4 an hour after that), and 20 free failures over all usernames before its
/// own doubling delay. README states the resulting bound for many addresses.
///
/// Each failure is one atomic upsert, so concurrent failures all count. IPv6 clients are
/// counted per /64, the block a single subscriber usually holds.
enum LoginThrottle {
  struct Rule {
    var freeFailures: Int
    var maximumDelay: Double
  }
  static let perUsernameAndAddress = Rule(freeFailures: 3, maximumDelay: 900)
  static let perAddress = Rule(freeFailures: 20, maximumDelay: 900)

  /// The throttle keys of one attempt. Usernames are compared case-insensitively, as logins do.
  static func keys(username: String, address: String) -> [(String, Rule)] {
    let source = addressKey(address)
    return [
      ("user:\(source)|\(username.lowercased().prefix(Self.usernameLimit))", perUsernameAndAddress),
      ("address:\(source)", perAddress),
    ]
  }

  /// Longest username kept in a key (longer ones are refused before this anyway).
  static let usernameLimit = 128

  /// IPv4 addresses as they are; IPv6 addresses reduced to their /64 prefix; anything else
  /// (a Unix socket, an in-process peer) as given.
  static func addressKey(_ address: String) -> String {
    #if canImport(Glibc)
      var bytes = [UInt8](repeating: 0, count: 16)
      let parsed = address.withCString { text in
        bytes.withUnsafeMutableBytes { inet_pton(AF_INET6, text, $0.baseAddress) }
      }
      if parsed == 1 {
        // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 client itself.
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
          return bytes[12...].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map {
          String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
        }
        return groups.joined(separator: ":") + "::/64"
      }
    #endif
    return address
  }

  /// RESOURCE_EXHAUSTED with the wait, when any key of the attempt is blocked now.
  static func check(
    username: String,
    address: String,
    database: Database,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws {
    let keys = keys(username: username, address: address).map(\.0)
    let wait = try await database.withGlobalConnection(cancellation: cancellation) { connection in
      let rows = try await connection.query(
        """
        SELECT coalesce(max(extract(epoch FROM blocked_until - now())), 0)::float8
        FROM login_throttle WHERE throttle_key = ANY(\(keys)) AND blocked_until > now()
        """,
        logger: connection.logger
      )
      var wait = 0.0
      for try await value in rows.decode(Double.self) { wait = value }
      return wait
    }
    if wait > 0 {
      throw RPCError(
        code: .resourceExhausted,
        message: "too many failed attempts from this address; retry in \(Int(wait.rounded(.up))) s"
      )
    }
  }

  /// Counts one failure against every key of the attempt, atomically (one upsert per key).
  static func recordFailure(
    username: String,
    address: String,
    database: Database,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws {
    let keys = keys(username: username, address: address)
    try await database.withGlobalConnection(cancellation: cancellation) { connection in
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
          """,
          logger: connection.logger
        )
      }
    }
  }

  /// The right password from this address: its count for the username starts again.
  static func recordSuccess(
    username: String,
    address: String,
    database: Database,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws {
    let key = keys(username: username, address: address)[0].0
    try await database.withGlobalConnection(cancellation: cancellation) { connection in
      try await connection.query(
        "DELETE FROM login_throttle WHERE throttle_key = \(key)",
        logger: connection.logger
      )
    }
  }
}
