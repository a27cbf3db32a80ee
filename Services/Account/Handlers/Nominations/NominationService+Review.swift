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

/// What the province does with nominations, and the list every official reads them in.
extension NominationService {
  public func reviewNominations(
    request: Safemap_Account_V1_ReviewNominationsRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ReviewNominationsResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.provinceCode) {
      let tenant = try Self.departmentTenant(
        principal,
        requested: request.provinceCode,
        doing: "approves, rejects or questions nominations"
      )
      guard let action = Nomination.ReviewAction(request.action) else {
        throw RPCError(
          code: .invalidArgument,
          message: "action: APPROVE, REJECT or ASK_FOR_INFORMATION"
        )
      }
      let ids = try RequestedIDs.parse(
        request.nominationIds,
        field: "nomination_ids",
        maximum: Nomination.maximumReviewed
      )
      let reason = try FreeText.check(
        request.reason,
        field: "reason",
        required: action.needsReason ? "to reject or to ask" : nil
      )
      let actor = try principal.actorID()
      let reviewed = try await mutation.commit(in: tenant) {
        connection -> Audited<[NominationRecord]> in
        let found = try await NominationRecord.find(
          ids,
          province: tenant.code,
          locking: true,
          on: connection
        )
        var missing: [String] = []
        var refused: [String] = []
        var next: [String] = []
        for (index, id) in ids.enumerated() {
          guard let record = found[id] else {
            missing.append("nomination_ids[\(index)]")
            continue
          }
          if let state = action.next(from: record.state) {
            next.append(state.sql)
          } else {
            refused.append(
              "nomination_ids[\(index)]: \(record.message.facility.taxCode) is "
                + "\(record.state.sql), \(action.sql) needs "
                + action.from.map(\.sql).joined(separator: " or ")
            )
          }
        }
        guard missing.isEmpty else {
          throw RPCError(
            code: .notFound,
            message: missing.joined(separator: ", ") + ": no such nomination"
          )
        }
        guard refused.isEmpty else {
          throw RPCError(code: .failedPrecondition, message: refused.joined(separator: "; "))
        }
        try await connection.query(
          """
          UPDATE nominations n SET state = u.state, reason = \(reason), reviewed_by = \(actor),
            reviewed_at = now(), updated_at = now()
          FROM unnest(\(ids), \(next)::text[]) AS u(id, state)
          WHERE n.province_code = \(tenant.code) AND n.nomination_id = u.id
          """,
          logger: connection.logger
        )
        // One audit row per nomination: each is a decision of its own.
        try await mutation.record(
          targets: zip(ids, next).map { id, state in
            (
              "nomination", id.uuidString.lowercased(),
              state + (reason.isEmpty ? "" : ": " + reason)
            )
          },
          in: tenant,
          on: connection
        )
        let updated = try await NominationRecord.find(ids, province: tenant.code, on: connection)
        return .unchanged(ids.compactMap { updated[$0] })  // the rows above are its audit
      }
      return .with { $0.nominations = reviewed.map(\.message) }
    }
  }

  public func listNominations(
    request: Safemap_Account_V1_ListNominationsRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListNominationsResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try Self.readTenant(principal, requested: request.provinceCode)
    let page = try Paging.Page<Paging.TimeKey>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let drive = try Self.driveID(request.driveID, required: false)
    let state = request.state == .unspecified ? nil : Nomination.State(request.state)?.sql
    guard request.state == .unspecified || state != nil else {
      throw RPCError(code: .invalidArgument, message: "state: not a nomination state")
    }
    let unit = try Self.listedUnit(request.unit, principal: principal)
    let records = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection in
      let rows = try await connection.query(
        """
        \(unescaped: NominationRecord.select)
        WHERE n.province_code = \(tenant.code)
          AND (\(drive)::uuid IS NULL OR n.drive_id = \(drive))
          AND (\(state)::text IS NULL OR n.state = \(state))
          AND (\(unit?.kind.sql)::text IS NULL
            OR (n.unit_kind = \(unit?.kind.sql) AND n.unit_code = \(unit?.code)))
          AND \(before: page.after, time: "n.created_at", id: "n.nomination_id")
        ORDER BY n.created_at DESC, n.nomination_id::text DESC LIMIT \(page.size)
        """,
        logger: connection.logger
      )
      var records: [NominationRecord] = []
      for try await row in rows { records.append(try NominationRecord(row)) }
      return records
    }
    return .with {
      $0.nominations = records.map(\.message)
      $0.nextPageToken = page.nextToken(after: records.last?.key, count: records.count)
    }
  }

  /// The unit a list is narrowed to: a unit's officer always its own (naming another is
  /// PERMISSION_DENIED), the province and the ministry the one named, if any.
  static func listedUnit(
    _ message: Safemap_Reporting_V1_ReportingUnit,
    principal: Principal
  ) throws -> ReportingUnit? {
    let unset = message.kind == .unspecified && message.code.isEmpty
    if let own = AccessPolicy.unit(of: principal) {
      let unit = ReportingUnit(kind: own.kind, code: own.code)
      if !unset, try ReportingUnit(message, field: "unit", caller: principal) != unit {
        throw RPCError(code: .permissionDenied, message: "unit: outside your own unit")
      }
      return unit
    }
    return unset ? nil : try ReportingUnit(message, field: "unit", caller: principal)
  }
}
