import Foundation
import GRPCCore
import Logging
import PostgresNIO
import SafeMapCore
import SafeMapDatabase

/// The audit log: who did what to what, where, when, with which outcome. Never passwords,
/// tokens or one-time passwords: callers pass only ids and short reasons.
struct AuditEntry: Sendable {
  var action: String
  var targetType: String
  var targetID: String
  var detail: String = ""
}

enum Audit {
  /// Records a success inside the action's own transaction, so the two commit together.
  static func record(
    _ entry: AuditEntry, outcome: String = "SUCCESS", actor: Principal, province: String,
    clientAddress: String, on connection: PostgresConnection
  ) async throws {
    try await connection.query(
      """
      INSERT INTO audit_events (province_code, actor_account_id, actor_username, actor_role,
        action, target_type, target_id, outcome, detail, client_address)
      VALUES (\(province), \(UUID(uuidString: actor.accountID)), \(actor.username),
        \(actor.role.rawValue), \(entry.action), \(entry.targetType), \(entry.targetID),
        \(outcome), \(String(entry.detail.prefix(500))), \(clientAddress))
      """, logger: connection.logger)
  }

  /// Runs a mutating action; when it is refused, records the refusal in a transaction of its
  /// own (the action's rolled back) and rethrows.
  static func refusals<R: Sendable>(
    _ action: String, actor: Principal, province: String?, clientAddress: String,
    database: Database, _ body: () async throws -> R
  ) async throws -> R {
    do {
      return try await body()
    } catch let error as RPCError {
      let outcome: String
      switch error.code {
      case .permissionDenied, .notFound, .unauthenticated: outcome = "DENIED"
      case .invalidArgument, .failedPrecondition, .alreadyExists, .outOfRange: outcome = "FAILED"
      default: throw error
      }
      let tenant = province.flatMap(Tenant.province) ?? actor.homeTenant
      let entry = AuditEntry(
        action: action, targetType: "", targetID: "", detail: String(error.message.prefix(200)))
      _ = try? await database.withTenantTransaction(tenant) { connection in
        try await record(
          entry, outcome: outcome, actor: actor, province: tenant.code,
          clientAddress: clientAddress, on: connection)
      }
      throw error
    }
  }
}
