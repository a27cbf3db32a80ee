import Foundation
public import GRPCCore
import Logging
public import PostgresNIO
public import SafeMapCore
public import SafeMapDatabase

/// One line of the audit log: what was done to what. Never passwords, tokens or one-time
/// passwords: callers pass only ids and short reasons.
public struct AuditEntry: Sendable {
  public var action: String
  public var targetType: String
  public var targetID: String
  public var detail: String

  public init(action: String, targetType: String = "", targetID: String = "", detail: String = "") {
    self.action = action
    self.targetType = targetType
    self.targetID = targetID
    self.detail = detail
  }
}

/// The audit log (`audit_events`) every service writes: who did what to what, where, when, with
/// which outcome, from which address. Every mutating RPC, succeeded or refused, leaves a row in
/// the caller's own province (the ministry's in the province it named, if it exists, else in
/// the national tenant); `AuditCoverageTests` walks the service descriptors to keep it so.
public enum Audit {
  public enum Outcome: String, Sendable {
    case success = "SUCCESS"
    /// Refused by a rule of scope or identity.
    case denied = "DENIED"
    /// Refused for its content, or its preconditions.
    case failed = "FAILED"
  }

  /// Longest detail kept; audit rows are for people, not for replaying requests.
  static let detailLimit = 500

  /// Records an action inside its own transaction, so the two commit together.
  public static func record(
    _ entry: AuditEntry,
    outcome: Outcome = .success,
    actor: Principal,
    province: String,
    clientAddress: String,
    on connection: PostgresConnection
  ) async throws {
    try await record(
      [entry],
      outcome: outcome,
      actor: actor,
      province: province,
      clientAddress: clientAddress,
      on: connection
    )
  }

  /// Records several actions of one call (a review of 500 nominations, a hand-out of 1,000
  /// credentials) in one statement: a row each, one round trip in all.
  public static func record(
    _ entries: [AuditEntry],
    outcome: Outcome = .success,
    actor: Principal,
    province: String,
    clientAddress: String,
    on connection: PostgresConnection
  ) async throws {
    guard !entries.isEmpty else { return }
    try await insert(
      entries,
      outcome: outcome,
      actorID: UUID(uuidString: actor.accountID),
      actorUsername: actor.username,
      actorRole: actor.role.rawValue,
      province: province,
      clientAddress: clientAddress,
      on: connection
    )
  }

  /// Records an attempt by a caller who holds no token (a login): the username as typed stands
  /// for the actor. Kept in the province of the account the username names (its officials see
  /// who tries to sign in as them), or in the national tenant for a username that names no
  /// account.
  public static func recordAnonymous(
    _ entry: AuditEntry,
    outcome: Outcome,
    username: String,
    clientAddress: String,
    tenant: Tenant = .national,
    database: Database,
    cancellation: ServerContext.RPCCancellationHandle
  ) async {
    let clipped = String(username.prefix(128))
    _ = try? await database.withTenantTransaction(tenant, cancellation: cancellation) {
      connection in
      try await insert(
        [entry],
        outcome: outcome,
        actorID: nil,
        actorUsername: clipped,
        actorRole: "",
        province: tenant.code,
        clientAddress: clientAddress,
        on: connection
      )
    }
  }

  private static func insert(
    _ entries: [AuditEntry],
    outcome: Outcome,
    actorID: UUID?,
    actorUsername: String,
    actorRole: String,
    province: String,
    clientAddress: String,
    on connection: PostgresConnection
  ) async throws {
    try await connection.query(
      """
      INSERT INTO audit_events (province_code, actor_account_id, actor_username, actor_role,
        action, target_type, target_id, outcome, detail, client_address)
      SELECT \(province), \(actorID), \(actorUsername), \(actorRole), e.action, e.type, e.id,
        \(outcome.rawValue), e.detail, \(String(clientAddress.prefix(100)))
      FROM unnest(\(entries.map(\.action)), \(entries.map(\.targetType)),
        \(entries.map { String($0.targetID.prefix(200)) }),
        \(entries.map { String($0.detail.prefix(detailLimit)) }))
        WITH ORDINALITY AS e(action, type, id, detail, n)
      ORDER BY e.n
      """,
      logger: connection.logger
    )
  }

  /// The outcome recorded for a refusal with `code`, or `nil` for failures that are not
  /// refusals (the database down, a bug): those are logged, not audited.
  public static func outcome(for code: RPCError.Code) -> Outcome? {
    switch code {
    case .permissionDenied, .notFound, .unauthenticated: return .denied
    case .invalidArgument, .failedPrecondition, .alreadyExists, .outOfRange, .resourceExhausted:
      return .failed
    default: return nil
    }
  }

  /// The tenant a refusal is recorded in: the caller's own province, or for the ministry the
  /// province it named when that is a real one. Never a province the caller merely named.
  public static func refusalTenant(actor: Principal, requestedProvince: String?) -> Tenant {
    guard actor.role.isNational else { return actor.homeTenant }
    return requestedProvince.flatMap(Tenant.province) ?? .national
  }

  /// Runs a mutating action; when it is refused, records the refusal in a transaction of its
  /// own (the action's was rolled back) and rethrows.
  static func refusals<R: Sendable>(
    _ action: String,
    actor: Principal,
    province requestedProvince: String?,
    context: ServerContext,
    database: Database,
    _ body: () async throws -> R
  ) async throws -> R {
    do {
      return try await body()
    } catch let error as RPCError {
      guard let outcome = outcome(for: error.code) else { throw error }
      let entry = AuditEntry(action: action, detail: String(error.message.prefix(200)))
      let address = context.clientAddress
      let tenant = refusalTenant(actor: actor, requestedProvince: requestedProvince)
      let recorded = try? await database.withTenantTransaction(
        tenant,
        cancellation: context.cancellation
      ) { connection in
        try await record(
          entry,
          outcome: outcome,
          actor: actor,
          province: tenant.code,
          clientAddress: address,
          on: connection
        )
      }
      // A ministry naming a province that does not exist: the refusal goes to the national log.
      if recorded == nil, tenant != actor.homeTenant {
        _ = try? await database.withTenantTransaction(
          actor.homeTenant,
          cancellation: context.cancellation
        ) { connection in
          try await record(
            entry,
            outcome: outcome,
            actor: actor,
            province: actor.homeTenant.code,
            clientAddress: address,
            on: connection
          )
        }
      }
      throw error
    }
  }
}

extension ServerContext {
  /// The client's address, for throttling and the audit log: the browser's address a trusted
  /// proxy forwarded (``ForwardedClientInterceptor``), else the peer's.
  public var clientAddress: String {
    ForwardedClientInterceptor.client ?? peerAddress
  }

  /// The peer's address without the port (`ipv4:10.0.0.5:51234` → `10.0.0.5`). An IPv4
  /// client of a dual-stack listener (`[::ffff:10.0.0.5]`) is the IPv4 address it is.
  public var peerAddress: String {
    var peer = remotePeer
    for prefix in ["ipv4:", "ipv6:"] where peer.hasPrefix(prefix) {
      peer.removeFirst(prefix.count)
    }
    if peer.hasPrefix("["), let end = peer.firstIndex(of: "]") {
      let address = peer[peer.index(after: peer.startIndex)..<end]
      let mapped = "::ffff:"
      if address.lowercased().hasPrefix(mapped), address.contains(".") {
        return String(address.dropFirst(mapped.count))
      }
      return String(address)
    }
    if let colon = peer.lastIndex(of: ":"), peer.firstIndex(of: ":") == colon {
      return String(peer[..<colon])
    }
    return peer
  }
}
