import Foundation
import GRPCCore
import PostgresNIO
import SafeMapCore
import SafeMapDatabase

/// Slows down repeated failed password checks (`Login`, `CreateWebSession`, and
/// `ChangePassword`'s current password), with a delay that doubles per failure up to 15
/// minutes; failures older than an hour are forgotten.
///
/// **Reserved before hashing.** Every attempt first counts itself as a failure against each of
/// its keys, in one atomic upsert that refuses (and counts nothing) while a key is blocked; the
/// right password gives the reservation back. So concurrent guesses cannot all pass a check
/// made before any of them failed: of any number of parallel wrong passwords for one username
/// from one address, at most `freeFailures + 1` reach the hash before the first delay, and one
/// more per delay after that.
///
/// **Keys.** Without a device token: per (username, address) — 3 free failures, then 1 s, 2 s,
/// … 15 min — and per address, 20 free failures over all usernames. Nothing is counted per
/// username alone: a facility's username is its public tax code, and a count anyone can raise
/// would let anyone lock the facility out. With a valid device token (a client where this
/// username signed in before, ``LoginDevices``) the device is the only key, 10 free failures:
/// someone failing from the same office or carrier NAT cannot slow the owner down, and
/// someone who stole the device token gains 10 guesses, then the same doubling. IPv6 clients
/// are counted per /64 (``ClientKey``).
enum LoginThrottle {
  struct Rule: Sendable {
    var freeFailures: Int
    var maximumDelay: Double
  }
  static let perUsernameAndAddress = Rule(freeFailures: 3, maximumDelay: 900)
  static let perAddress = Rule(freeFailures: 20, maximumDelay: 900)
  static let perDevice = Rule(freeFailures: 10, maximumDelay: 900)

  struct Key: Sendable {
    var name: String
    var rule: Rule
  }

  /// Longest username kept in a key (longer ones are refused before this anyway).
  static let usernameLimit = 128

  /// The keys of one attempt. Usernames are compared case-insensitively, as logins do.
  static func keys(username: String, address: String, device: String? = nil) -> [Key] {
    if let device { return [Key(name: "device:\(device)", rule: perDevice)] }
    let source = ClientKey.of(address)
    return [
      Key(
        name: "user:\(source)|\(username.lowercased().prefix(usernameLimit))",
        rule: perUsernameAndAddress
      ),
      Key(name: "address:\(source)", rule: perAddress),
    ]
  }

  /// Counts one failure against every key before the password is checked, or refuses with
  /// RESOURCE_EXHAUSTED and the wait while any key is blocked (then nothing stays counted).
  ///
  /// `refused` is how many attempts the blocking key has refused in its current block: the
  /// caller audits the 1st, 10th, 100th, … rather than every one.
  static func reserve(
    _ keys: [Key],
    database: Database,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws -> [Key] {
    let names = keys.map(\.name)
    let free = keys.map(\.rule.freeFailures)
    let maximum = keys.map(\.rule.maximumDelay)
    let outcome = try await database.withGlobalConnection(cancellation: cancellation) {
      connection -> (reserved: Set<String>, wait: Double, refused: Int) in
      // Keys in one order everywhere, so concurrent attempts lock their rows in that order.
      let rows = try await connection.query(
        """
        INSERT INTO login_throttle AS t (throttle_key, failures, last_failure_at, blocked_until,
                                         free_failures, maximum_delay)
        SELECT i.k, 1, now(),
               now() + make_interval(secs => CASE WHEN 1 <= i.free THEN 0
                                                  ELSE least(i.max_delay, 1) END),
               i.free, i.max_delay
        FROM unnest(\(names)::text[], \(free)::int[], \(maximum)::float8[])
          AS i(k, free, max_delay)
        ORDER BY i.k
        ON CONFLICT (throttle_key) DO UPDATE SET
          failures = CASE WHEN t.last_failure_at < now() - interval '1 hour' THEN 1
                          ELSE t.failures + 1 END,
          last_failure_at = now(),
          refused = 0,
          free_failures = excluded.free_failures,
          maximum_delay = excluded.maximum_delay,
          blocked_until = now() + make_interval(secs => CASE
            WHEN t.last_failure_at < now() - interval '1 hour' THEN 0
            WHEN t.failures + 1 <= excluded.free_failures THEN 0
            ELSE least(excluded.maximum_delay,
                       power(2, t.failures + 1 - excluded.free_failures - 1)) END)
        WHERE t.blocked_until <= now()
        RETURNING throttle_key
        """,
        logger: connection.logger
      )
      var reserved: Set<String> = []
      for try await name in rows.decode(String.self) { reserved.insert(name) }
      guard reserved.count < names.count else { return (reserved, 0, 0) }
      // Blocked: give back what was reserved, and count the refusal on the blocking keys.
      try await release(keys.filter { reserved.contains($0.name) }, on: connection)
      let blocked = names.filter { !reserved.contains($0) }
      let refusals = try await connection.query(
        """
        UPDATE login_throttle SET refused = refused + 1
        WHERE throttle_key = ANY(\(blocked))
        RETURNING greatest(extract(epoch FROM blocked_until - now()), 1)::float8, refused
        """,
        logger: connection.logger
      )
      var wait = 1.0
      var refused = 0
      for try await (seconds, count) in refusals.decode((Double, Int32).self) {
        wait = max(wait, seconds)
        refused = max(refused, Int(count))
      }
      return (reserved, wait, refused)
    }
    guard outcome.wait > 0 else { return keys }
    throw Throttled(waitSeconds: Int(outcome.wait.rounded(.up)), refused: outcome.refused)
  }

  /// The refusal of an attempt while blocked.
  struct Throttled: Error, RPCErrorConvertible {
    var waitSeconds: Int
    var refused: Int

    var rpcErrorCode: RPCError.Code { .resourceExhausted }
    var rpcErrorMessage: String {
      "too many failed attempts from this address; retry in \(waitSeconds) s"
    }
    var rpcErrorMetadata: Metadata { ["retry-after": "\(waitSeconds)"] }

    /// Whether this refusal is one the audit log records: the 1st, 10th, 100th, … of a block.
    var isAudited: Bool {
      var mark = 1
      while mark < refused { mark *= 10 }
      return mark == refused
    }
  }

  /// The right password: the reservation is given back, and the count for this username
  /// from this address (or this device) starts again.
  static func succeeded(
    _ reserved: [Key],
    database: Database,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws {
    let reset = reserved.filter { !$0.name.hasPrefix("address:") }.map(\.name)
    let shared = reserved.filter { $0.name.hasPrefix("address:") }
    try await database.withGlobalConnection(cancellation: cancellation) { connection in
      try await connection.query(
        "DELETE FROM login_throttle WHERE throttle_key = ANY(\(reset))",
        logger: connection.logger
      )
      try await release(shared, on: connection)
    }
  }

  /// Takes one reserved failure back from each key; a key that drops to its free failures
  /// is no longer blocked.
  private static func release(_ keys: [Key], on connection: PostgresConnection) async throws {
    guard !keys.isEmpty else { return }
    let names = keys.map(\.name)
    try await connection.query(
      """
      UPDATE login_throttle SET
        failures = greatest(failures - 1, 0),
        blocked_until = CASE WHEN failures - 1 <= free_failures THEN least(blocked_until, now())
                             ELSE blocked_until END
      WHERE throttle_key = ANY(\(names))
      """,
      logger: connection.logger
    )
  }
}
