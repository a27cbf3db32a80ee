import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SwiftProtobuf

/// Browser sessions live in account-service (`CreateWebSession`, `GetWebSession`,
/// `EndWebSession`): a restart of web-service signs nobody out, and every replica knows every
/// session. What is kept here is a cache of recent answers, so a page that makes several
/// calls asks once: an entry is reused for `freshness` seconds while its access token has more than
/// a minute left, concurrent requests of one session share one lookup, and at most `maximum`
/// entries are held (past that, the oldest go). Losing the cache loses nothing.
///
/// Sessions hold no refresh token: account-service mints an access token with each lookup,
/// so replicas racing over one session never spend anything twice.
actor SessionStore {
  private struct Entry {
    var session: WebSession?
    var fetched: Date
    var lookup: Task<WebSession?, any Error>?
  }

  private var entries: [String: Entry] = [:]
  let maximum: Int
  /// How long an answer of account-service is reused (a session ended by another replica is
  /// honoured here within this time; its access token lives longer anyway).
  let freshness: TimeInterval
  /// Access tokens this close to expiry are replaced before a call.
  static let refreshMargin: TimeInterval = 60
  /// Longest session id account-service issues, with room.
  static let maximumIDLength = 256

  private let accounts: Safemap_Account_V1_AccountService.Client<HTTP2ClientTransport.Posix>

  init(
    accounts: Safemap_Account_V1_AccountService.Client<HTTP2ClientTransport.Posix>,
    maximum: Int,
    freshness: TimeInterval = 10
  ) {
    self.accounts = accounts
    self.maximum = max(1, maximum)
    self.freshness = freshness
  }

  /// Lookups account-service answered (for tests: one per session however many requests).
  private(set) var lookups = 0

  /// Signs in and opens a session. Throws the service's refusal (UNAUTHENTICATED,
  /// RESOURCE_EXHAUSTED, …).
  func create(
    username: String,
    password: String,
    deviceToken: String,
    client: String
  ) async throws -> (session: WebSession, deviceToken: String) {
    let response = try await accounts.createWebSession(
      .with {
        $0.username = username
        $0.password = password
        $0.deviceToken = deviceToken
      },
      metadata: Backend.metadata(token: nil, client: client)
    )
    let session = WebSession(id: response.sessionID, response.session)
    store(session.id, Entry(session: session, fetched: Date()))
    return (session, response.deviceToken)
  }

  /// The live session named by a cookie, nil when account-service knows none.
  func find(_ id: String, client: String, now: Date = Date()) async throws -> WebSession? {
    guard Self.isWellFormed(id) else { return nil }
    if let entry = entries[id] {
      if let lookup = entry.lookup { return try await lookup.value }
      if now.timeIntervalSince(entry.fetched) < freshness,
        entry.session.map({ $0.accessExpiry.timeIntervalSince(now) > Self.refreshMargin })
          ?? true
      {
        return entry.session
      }
    }
    let accounts = self.accounts
    let lookup = Task { () throws -> WebSession? in
      do {
        let response = try await accounts.getWebSession(
          .with { $0.sessionID = id },
          metadata: Backend.metadata(token: nil, client: client)
        )
        return WebSession(id: id, response.session)
      } catch let error as RPCError where error.code == .notFound {
        return nil
      }
    }
    store(id, Entry(session: entries[id]?.session, fetched: now, lookup: lookup))
    do {
      let session = try await lookup.value
      lookups += 1
      store(id, Entry(session: session, fetched: Date()))
      return session
    } catch {
      entries[id] = nil
      throw error
    }
  }

  /// `<two digits>.<UUID>.<base64url>`: anything else names no session and costs no call.
  static func isWellFormed(_ id: String) -> Bool {
    let parts = id.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
    guard id.utf8.count <= maximumIDLength, parts.count == 3, parts[0].count == 2,
      parts[0].allSatisfy({ (0x30...0x39).contains($0) }), parts[1].count == 36,
      UUID(uuidString: String(decoding: parts[1], as: UTF8.self)) != nil, !parts[2].isEmpty
    else { return false }
    return parts[2].allSatisfy { byte in
      (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
  }

  /// Ends the session at account-service (sign-out).
  func end(_ id: String, client: String) async throws {
    entries[id] = nil
    _ = try await accounts.endWebSession(
      .with { $0.sessionID = id },
      metadata: Backend.metadata(token: nil, client: client)
    )
  }

  /// Drops a cached answer (after a password change ended the session).
  func forget(_ id: String) {
    entries[id] = nil
  }

  var count: Int { entries.count }

  private func store(_ id: String, _ entry: Entry) {
    if entries[id] == nil && entries.count >= maximum {
      let cutoff = Date().addingTimeInterval(-freshness)
      entries = entries.filter { $0.value.lookup != nil || $0.value.fetched > cutoff }
      if entries.count >= maximum,
        let oldest = entries.filter({ $0.value.lookup == nil })
          .min(by: { $0.value.fetched < $1.value.fetched })
      {
        entries[oldest.key] = nil
      }
    }
    entries[id] = entry
  }
}
