import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapContract
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

/// `ListAuditEvents`: the audit log of the caller's province (the ministry's of the province
/// it names), newest first.
extension FacilityService {
  public func listAuditEvents(
    request: Safemap_Account_V1_ListAuditEventsRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListAuditEventsResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try AccountScope.listTenant(principal, requested: request.provinceCode)
    let page = try Paging.Page<Paging.TimeKey>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let actor = request.actorAccountID.isEmpty ? nil : UUID(uuidString: request.actorAccountID)
    guard request.actorAccountID.isEmpty || actor != nil else {
      throw RPCError(code: .invalidArgument, message: "actor_account_id: not a valid id")
    }
    let action = request.action.isEmpty ? nil : request.action
    let target = request.targetID.isEmpty ? nil : request.targetID
    let start = request.hasStartTime ? request.startTime.date : nil
    let end = request.hasEndTime ? request.endTime.date : nil
    let events = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) {
      connection in
      let rows = try await connection.query(
        """
        SELECT \(unescaped: AuditEventRow.columns)
        FROM audit_events
        WHERE province_code = \(tenant.code)
          AND (\(actor)::uuid IS NULL OR actor_account_id = \(actor))
          AND (\(action)::text IS NULL OR action = \(action))
          AND (\(target)::text IS NULL OR target_id = \(target))
          AND (\(start)::timestamptz IS NULL OR created_at >= \(start))
          AND (\(end)::timestamptz IS NULL OR created_at < \(end))
          AND \(before: page.after, time: "created_at", id: "event_id")
        ORDER BY created_at DESC, event_id::text DESC LIMIT \(page.size)
        """,
        logger: connection.logger
      )
      var events: [AuditEventRow] = []
      for try await row in rows.decode(AuditEventRow.Columns.self) {
        events.append(AuditEventRow(row))
      }
      return events
    }
    return .with {
      $0.events = events.map(\.message)
      $0.nextPageToken = page.nextToken(after: events.last?.key, count: events.count)
    }
  }
}

/// One row of `audit_events` as `ListAuditEvents` reads it.
struct AuditEventRow {
  static let columns = """
    event_id, province_code, actor_account_id, actor_username, actor_role, action,
    target_type, target_id, outcome, detail, client_address, created_at,
    \(Paging.TimeKey.select("created_at"))
    """
  typealias Columns = (
    UUID, String, UUID?, String, String, String, String, String, String, String, String, Date,
    Int64
  )

  let message: Safemap_Account_V1_AuditEvent
  let key: Paging.TimeKey

  init(_ c: Columns) {
    let id = c.0.uuidString.lowercased()
    message = .with {
      $0.eventID = id
      $0.provinceCode = c.1
      $0.actorAccountID = c.2?.uuidString.lowercased() ?? ""
      $0.actorUsername = c.3
      $0.actorRole = Role(rawValue: c.4)?.message ?? .unspecified
      $0.action = c.5
      $0.targetType = c.6
      $0.targetID = c.7
      $0.outcome = c.8 == "SUCCESS" ? .success : c.8 == "DENIED" ? .denied : .failed
      $0.detail = c.9
      $0.clientAddress = c.10
      $0.createTime = Google_Protobuf_Timestamp(date: c.11)
    }
    key = Paging.TimeKey(micros: c.12, id: id)
  }
}
