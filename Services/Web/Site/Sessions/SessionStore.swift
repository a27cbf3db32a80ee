import Foundation

/// The server-side sessions of this web-service process, bounded: past `maximum` live
/// sessions a sign-in is refused (``Full``) rather than memory growing. Sessions end after
/// `idle` without a request and after `lifetime` in any case.
///
/// Held in memory: a restart signs everyone out (their tokens stay revocable at
/// account-service), and replicas need session affinity (deploy/kubernetes sets it).
actor SessionStore {
  private struct Entry {
    var session: WebSession
    /// A refresh in flight: refresh tokens are single use, so concurrent requests of one
    /// session wait for the same exchange instead of spending the token twice.
    var refreshing: Task<WebSession.Tokens, any Error>?
  }

  private var entries: [String: Entry] = [:]
  let idle: TimeInterval
  let lifetime: TimeInterval
  let maximum: Int
  /// Access tokens this close to expiry are exchanged before a call.
  static let refreshMargin: TimeInterval = 60

  init(idle: TimeInterval, lifetime: TimeInterval, maximum: Int) {
    self.idle = idle
    self.lifetime = lifetime
    self.maximum = maximum
  }

  struct Full: Error {}

  var count: Int { entries.count }

  func create(tokens: WebSession.Tokens, account: SignedInAccount, now: Date = Date()) throws(Full)
    -> WebSession
  {
    if entries.count >= maximum { sweep(now: now) }
    guard entries.count < maximum else { throw Full() }
    let session = WebSession(
      id: RandomToken.make(),
      csrfToken: RandomToken.make(),
      tokens: tokens,
      account: account,
      created: now,
      lastSeen: now
    )
    entries[session.id] = Entry(session: session)
    return session
  }

  /// The live session named by a cookie, touched; nil when unknown or expired.
  func find(_ id: String, now: Date = Date()) -> WebSession? {
    guard var entry = entries[id] else { return nil }
    guard isLive(entry.session, now: now) else {
      entries[id] = nil
      return nil
    }
    entry.session.lastSeen = now
    entries[id] = entry
    return entry.session
  }

  func remove(_ id: String) -> WebSession? {
    entries.removeValue(forKey: id)?.session
  }

  /// After a password change: new tokens without the restriction.
  func update(_ id: String, tokens: WebSession.Tokens, passwordChangeRequired: Bool) {
    entries[id]?.session.tokens = tokens
    entries[id]?.session.account.passwordChangeRequired = passwordChangeRequired
  }

  /// A valid access token for the session, exchanging the refresh token first when the
  /// access token is about to expire. Throws what `exchange` throws (the session is ended
  /// then: its refresh token is spent or revoked).
  func accessToken(
    _ id: String,
    now: Date = Date(),
    exchange: @escaping @Sendable (String) async throws -> WebSession.Tokens
  ) async throws -> String? {
    guard let entry = entries[id] else { return nil }
    if entry.session.tokens.accessExpiry.timeIntervalSince(now) > Self.refreshMargin {
      return entry.session.tokens.access
    }
    let task: Task<WebSession.Tokens, any Error>
    if let running = entry.refreshing {
      task = running
    } else {
      let refresh = entry.session.tokens.refresh
      task = Task { try await exchange(refresh) }
      entries[id]?.refreshing = task
    }
    do {
      let tokens = try await task.value
      entries[id]?.session.tokens = tokens
      entries[id]?.refreshing = nil
      return tokens.access
    } catch {
      entries[id] = nil
      throw error
    }
  }

  private func isLive(_ session: WebSession, now: Date) -> Bool {
    now.timeIntervalSince(session.lastSeen) < idle
      && now.timeIntervalSince(session.created) < lifetime
  }

  /// Drops every expired session.
  func sweep(now: Date = Date()) {
    entries = entries.filter { isLive($0.value.session, now: now) }
  }
}

/// 256 random bits, base64url without padding: session ids and CSRF tokens.
enum RandomToken {
  static func make() -> String {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    return Data(bytes).base64EncodedString()
      .replacingOccurrences(of: "+", with: "-")
      .replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
  }

  /// Compares in time independent of where the two differ.
  static func equal(_ a: String, _ b: String) -> Bool {
    let (x, y) = (Array(a.utf8), Array(b.utf8))
    guard x.count == y.count else { return false }
    return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
  }
}
