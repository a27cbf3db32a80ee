import Synchronization

/// A token bucket per client, for what answers without a token: each client may make `burst`
/// requests at once and `perSecond` a second after that. IPv6 clients count per /64
/// (``ClientKey``), the block one subscriber holds, so rotating addresses inside it gains
/// nothing.
///
/// Bounded: at most `maximumClients` buckets are kept. Past that, buckets that have refilled
/// (their clients went quiet) are dropped first, then the least recently seen half; a client
/// dropped that way starts again with a full bucket, which is no more than a new client gets.
public final class ClientRateLimiter: Sendable {
  public struct Rule: Sendable, Hashable {
    public var burst: Double
    public var perSecond: Double

    public init(burst: Double, perSecond: Double) {
      self.burst = burst
      self.perSecond = perSecond
    }

    /// What one client may send without a token, to the services and to web-service alike:
    /// 60 at once, then 5 a second (a person reloading a map never meets it).
    public static let anonymous = Rule(burst: 60, perSecond: 5)
  }

  public enum Decision: Sendable, Equatable {
    case allowed
    /// Refused; the client may try again after this many whole seconds.
    case limited(retryAfter: Int)
  }

  private struct Bucket {
    var tokens: Double
    var updated: ContinuousClock.Instant
  }

  private struct State {
    var buckets: [String: Bucket] = [:]
  }

  public let rule: Rule
  public let maximumClients: Int
  private let state = Mutex(State())

  public init(rule: Rule, maximumClients: Int = 100_000) {
    self.rule = rule
    self.maximumClients = max(1, maximumClients)
  }

  /// Takes one token from `client`'s bucket (an address; see ``ClientKey``).
  public func admit(
    _ client: String,
    cost: Double = 1,
    now: ContinuousClock.Instant = .now
  ) -> Decision {
    let key = ClientKey.of(client)
    let rule = self.rule
    let maximumClients = self.maximumClients
    return state.withLock { state in
      var bucket = state.buckets[key] ?? Bucket(tokens: rule.burst, updated: now)
      let elapsed =
        Double((now - bucket.updated).components.seconds)
        + Double((now - bucket.updated).components.attoseconds) / 1e18
      bucket.tokens = min(rule.burst, bucket.tokens + max(0, elapsed) * rule.perSecond)
      bucket.updated = now
      let decision: Decision
      if bucket.tokens >= cost {
        bucket.tokens -= cost
        decision = .allowed
      } else {
        let wait = rule.perSecond > 0 ? (cost - bucket.tokens) / rule.perSecond : 3600
        decision = .limited(retryAfter: max(1, Int(wait.rounded(.up))))
      }
      if state.buckets[key] == nil && state.buckets.count >= maximumClients {
        Self.makeRoom(&state, rule: rule, now: now, maximumClients: maximumClients)
      }
      state.buckets[key] = bucket
      return decision
    }
  }

  /// How many clients have a bucket now (for tests and metrics).
  public var trackedClients: Int { state.withLock { $0.buckets.count } }

  private static func makeRoom(
    _ state: inout State,
    rule: Rule,
    now: ContinuousClock.Instant,
    maximumClients: Int
  ) {
    let refill = rule.perSecond > 0 ? rule.burst / rule.perSecond : .infinity
    state.buckets = state.buckets.filter { _, bucket in
      let idle = now - bucket.updated
      return Double(idle.components.seconds) < refill
    }
    guard state.buckets.count >= maximumClients else { return }
    let sorted = state.buckets.sorted { $0.value.updated < $1.value.updated }
    for (key, _) in sorted.prefix(max(1, sorted.count / 2)) { state.buckets[key] = nil }
  }
}

/// The key a client is counted under: an IPv4 address as written, an IPv6 address as its /64
/// prefix (an IPv4-mapped IPv6 address as the IPv4 address), anything else (a Unix socket, an
/// in-process peer) as given.
public enum ClientKey {
  public static func of(_ address: String) -> String {
    guard let bytes = TrustedProxies.bytes(address) else { return address }
    if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
    let groups = stride(from: 0, to: 8, by: 2).map {
      String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
    }
    return groups.joined(separator: ":") + "::/64"
  }
}
