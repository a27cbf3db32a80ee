import Foundation
import GRPCCore
import PostgresNIO
import SafeMapCore
import SafeMapDatabase

/// Slows down repeated failed password checks (`Login`, `CreateWebSession`, and
/// `ChangePassword`'s current password), with a delay that doubles per failure up to 15
/// minutes; failures older than an hour are forgotten.
///
/// **Reserved before hashing.** An attempt first counts itself as a failure against its
/// username's key (or its device's), in one atomic upsert that refuses (and counts nothing)
/// while the key is blocked; the right password clears the key. So concurrent guesses cannot
/// all pass a check made before any of them failed: of any number of parallel wrong passwords
/// for one username from one address, at most `freeFailures + 1` reach the hash before the
/// first delay, and one more per delay after that. The per-address key is checked before and
/// counted after a failure only: an office signing in at once must not block itself.
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
    /// Counted before the hash (the username's and the device's keys); otherwise checked
    /// before and counted after a failure (the address's).
    var reserved = true
  }

  /// The keys of one attempt, as ``begin(_:database:cancellation:)`` left them.
  struct Attempt: Sendable {
    var keys: [Key]
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
      Key(name: "address:\(source)", rule: perAddress, reserved: false),
    ]
  }

  /// Before the password is checked: refuses with ``Throttled`` (RESOURCE_EXHAUSTED and the
  /// wait) while any key is blocked, else counts one failure against the reserved keys.
  static func begin(
    _ keys: [Key],
    database: Database,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws -> Attempt {
    let reserved = keys.filter(\.reserved)
    let checked = keys.filter { !$0.reserved }.map(\.name)
    let refusal = try await database.withGlobalConnection(cancellation: cancellation) {
      connection -> Throttled? in
      if let refusal = try await refuseIfBlocked(checked, on: connection) { return refusal }
      // A key may stop being blocked between the upsert that skipped it and the look that
      // would refuse: then it is counted on the next turn, never skipped.
      var remaining = reserved
      for _ in 0..<3 {
        let counted = try await count(remaining, on: connection)
        remaining.removeAll { counted.contains($0.name) }
        if remaining.isEmpty { return nil }
        if let refusal = try await refuseIfBlocked(remaining.map(\.name), on: connection) {
          return refusal
        }
      }
      return Throttled(waitSeconds: 1, refused: 0)
    }
    if let refusal { throw refusal }
    return Attempt(keys: keys)
  }

  /// The password was wrong (or the username unknown): the keys not reserved count it now,
  /// and the reserved keys' delay runs from now, not from before the hash.
  static func failed(
    _ attempt: Attempt,
    database: Database,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws {
    let counted = attempt.keys.filter { !$0.reserved }
    let reserved = attempt.keys.filter(\.reserved).map(\.name)
    try await database.withGlobalConnection(cancellation: cancellation) { connection in
      _ = try await count(counted, on: connection)
      guard !reserved.isEmpty else { return }
      try await connection.query(
        """
        UPDATE login_throttle
        SET blocked_until = now() + (blocked_until - last_failure_at), last_failure_at = now()
        WHERE throttle_key = ANY(\(reserved)) AND blocked_until > last_failure_at
        """,
        logger: connection.logger
      )
    }
  }

  /// The right password: the count for this username from this address (or this device)
  /// starts again.
  static func succeeded(
    _ attempt: Attempt,
    database: Database,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws {
    let names = attempt.keys.filter(\.reserved).map(\.name)
    try await database.withGlobalConnection(cancellation: cancellation) { connection in
      try await connection.query(
        "DELETE FROM login_throttle WHERE throttle_key = ANY(\(names))",
        logger: connection.logger
      )
    }
  }

  /// One failure more on each key that is not blocked now, atomically (keys in one order, so
  /// concurrent attempts lock their rows in that order); the names counted.
  private static func count(_ keys: [Key], on connection: PostgresConnection) async throws
    -> Set<String>
  {
    guard !keys.isEmpty else { return [] }
    let names = keys.map(\.name)
    let free = keys.map(\.rule.freeFailures)
    let maximum = keys.map(\.rule.maximumDelay)
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
    var counted: Set<String> = []
    for try await name in rows.decode(String.self) { counted.insert(name) }
    return counted
  }

  /// The refusal when one of `names` is blocked now (its refusal counted), else nil.
  private static func refuseIfBlocked(_ names: [String], on connection: PostgresConnection)
    async throws -> Throttled?
  {
    guard !names.isEmpty else { return nil }
    let rows = try await connection.query(
      """
      UPDATE login_throttle SET refused = refused + 1
      WHERE throttle_key = ANY(\(names)) AND blocked_until > now()
      RETURNING greatest(extract(epoch FROM blocked_until - now()), 1)::float8, refused
      """,
      logger: connection.logger
    )
    var refusal: Throttled?
    for try await (seconds, refused) in rows.decode((Double, Int32).self) {
      let wait = Int(seconds.rounded(.up))
      refusal = Throttled(
        waitSeconds: max(wait, refusal?.waitSeconds ?? 0),
        refused: max(Int(refused), refusal?.refused ?? 0)
      )
    }
    return refusal
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
}
