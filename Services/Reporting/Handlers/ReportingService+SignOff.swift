import Foundation
import GRPCCore
import NIOCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapContract
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

/// Sign-off: a unit's officer submits the unit's figures for a campaign as a frozen snapshot;
/// the province accepts, returns or reopens. Every transition is one row of
/// `unit_report_events` and one audit row; a transition from the wrong state is refused with
/// FAILED_PRECONDITION and writes nothing.
extension ReportingService {
  public func submitUnitReport(
    request: Safemap_Reporting_V1_SubmitUnitReportRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_SubmitUnitReportResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.provinceCode) {
      let tenant = try principal.tenant(forRequested: request.provinceCode, field: "province_code")
      let unit = try ReportingUnit(request.unit, field: "unit", caller: principal)
      guard AccessPolicy.maySubmitUnitReport(principal, kind: unit.kind, code: unit.code) else {
        throw RPCError(
          code: .permissionDenied,
          message: "unit: only the officer of \(unit.label) submits its report"
        )
      }
      let comment = try FreeText.check(request.comment, field: "comment")
      let actor = try principal.actorID()
      // The snapshot first, in a transaction where every statement sees one instant; the
      // state is checked again under the unit's lock when it is written.
      let (campaign, named, snapshot) = try await database.withConsistentRead(
        tenant,
        cancellation: context.cancellation
      ) { connection in
        let campaign = try await CampaignRecord.require(
          request.campaignID,
          province: tenant.code,
          field: "campaign_id",
          on: connection
        )
        guard campaign.start <= Date() else {
          throw RPCError(code: .failedPrecondition, message: "campaign_id: not started yet")
        }
        let named = try await Self.member(unit, of: campaign, on: connection)
        let states = try await UnitReportRecord.currentStates(
          campaign: campaign.id,
          province: tenant.code,
          units: [unit],
          locking: false,
          on: connection
        )
        try Self.requireSubmittable(unit, states[unit]?.state)
        return (
          campaign, named, try await UnitSnapshot.take(named, province: tenant.code, on: connection)
        )
      }
      let hash = try snapshot.contentHash()
      let record = try await mutation.commit(in: tenant) {
        connection -> Audited<UnitReportRecord?> in
        try await UnitReportRecord.lock(campaign: campaign.id, unit, on: connection)
        let states = try await UnitReportRecord.currentStates(
          campaign: campaign.id,
          province: tenant.code,
          units: [unit],
          on: connection
        )
        try Self.requireSubmittable(unit, states[unit]?.state)
        try await Self.write(
          snapshot,
          hash: hash,
          comment: comment,
          campaign: campaign,
          unit: unit,
          actor: actor,
          on: connection
        )
        let record = try await UnitReportRecord.read(
          campaign: campaign.id,
          province: tenant.code,
          at: nil,
          units: [unit],
          on: connection
        )[unit]
        return .changed(
          record,
          target: "unit_report",
          id: "\(campaign.id.uuidString.lowercased())/\(unit.label)",
          detail: "SUBMITTED " + hash.map { String(format: "%02x", $0) }.joined()
        )
      }
      // The unit's active facilities are the snapshot's: no second count of the province.
      return .with {
        $0.status = UnitReportRecord.status(
          named,
          active: Int(snapshot.message.unitRow.active),
          record: record,
          deadline: campaign.deadline
        )
      }
    }
  }

  public func reviewUnitReports(
    request: Safemap_Reporting_V1_ReviewUnitReportsRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_ReviewUnitReportsResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.provinceCode) {
      guard AccessPolicy.mayReviewUnitReports(principal) else {
        throw RPCError(
          code: .permissionDenied,
          message: "only the province department accepts, returns or reopens reports"
        )
      }
      let tenant = try principal.tenant(forRequested: request.provinceCode, field: "province_code")
      guard let action = UnitReport.ReviewAction(request.action) else {
        throw RPCError(code: .invalidArgument, message: "action: ACCEPT, RETURN or REOPEN")
      }
      let units = try Self.reviewedUnits(request.units, caller: principal)
      let reason = try FreeText.check(
        request.reason,
        field: "reason",
        required: action.needsReason ? "to return or reopen" : nil
      )
      let actor = try principal.actorID()
      let campaign = try await mutation.commit(in: tenant) {
        connection -> Audited<CampaignRecord> in
        let campaign = try await CampaignRecord.require(
          request.campaignID,
          province: tenant.code,
          field: "campaign_id",
          on: connection
        )
        // Locks in one order, so two reviews of overlapping units cannot deadlock.
        for unit in units.sorted(by: { $0.label < $1.label }) {
          try await UnitReportRecord.lock(campaign: campaign.id, unit, on: connection)
        }
        let states = try await UnitReportRecord.currentStates(
          campaign: campaign.id,
          province: tenant.code,
          units: units,
          on: connection
        )
        var transitions: [(unit: ReportingUnit, state: String, submission: UUID)] = []
        var refused: [String] = []
        for (index, unit) in units.enumerated() {
          if let current = states[unit], let next = action.next(from: current.state) {
            transitions.append((unit, next.sql, current.submission))
          } else {
            let state = states[unit]?.state.sql ?? "NOT_SUBMITTED"
            refused.append(
              "units[\(index)]: \(unit.label) is \(state), \(action.sql) needs \(action.from.sql)"
            )
          }
        }
        guard refused.isEmpty else {
          throw RPCError(code: .failedPrecondition, message: refused.joined(separator: "; "))
        }
        let kinds = transitions.map(\.unit.kind.sql)
        let codes = transitions.map(\.unit.code)
        let next = transitions.map(\.state)
        let submissions = transitions.map(\.submission)
        try await connection.query(
          """
          UPDATE unit_reports r SET state = u.state, updated_by = \(actor), updated_at = now(),
            reason = \(reason)
          FROM unnest(\(kinds)::text[], \(codes)::text[], \(next)::text[]) AS u(kind, code, state)
          WHERE r.province_code = \(tenant.code) AND r.campaign_id = \(campaign.id)
            AND r.unit_kind = u.kind AND r.unit_code = u.code
          """,
          logger: connection.logger
        )
        try await connection.query(
          """
          INSERT INTO unit_report_events (province_code, campaign_id, unit_kind, unit_code,
            event_id, state, submission_id, actor, at, text)
          SELECT \(tenant.code), \(campaign.id), u.kind, u.code, gen_random_uuid(), u.state,
            u.submission, \(actor), now(), \(reason)
          FROM unnest(\(kinds)::text[], \(codes)::text[], \(next)::text[],
            \(submissions)::uuid[]) AS u(kind, code, state, submission)
          """,
          logger: connection.logger
        )
        // One audit row per unit: each is a transition of its own report.
        try await mutation.record(
          targets: transitions.map { unit, state, _ in
            (
              "unit_report", "\(campaign.id.uuidString.lowercased())/\(unit.label)",
              state + (reason.isEmpty ? "" : ": " + reason)
            )
          },
          in: tenant,
          on: connection
        )
        return .unchanged(campaign)  // the rows above are this change's audit
      }
      let statuses = try await unitStatuses(campaign, units: units, context: context)
      return .with { $0.statuses = statuses }
    }
  }

  /// Writes a submission: the snapshot and its facilities, the unit's state and the event.
  private static func write(
    _ snapshot: UnitSnapshot,
    hash: Data,
    comment: String,
    campaign: CampaignRecord,
    unit: ReportingUnit,
    actor: UUID,
    on connection: PostgresConnection
  ) async throws {
    let province = campaign.province
    let submission = UUID()
    let bytes = ByteBuffer(bytes: try snapshot.message.serializedBytes() as [UInt8])
    let listed = snapshot.entries.compactMap { entry in entry.row.map { (entry, $0) } }
    let rows = try listed.map { ByteBuffer(bytes: try $0.1.serializedBytes() as [UInt8]) }
    try await connection.query(
      """
      INSERT INTO unit_report_submissions (province_code, submission_id, campaign_id, unit_kind,
        unit_code, submitted_by, submitted_at, comment, snapshot, content_hash, facility_ids,
        facility_levels, listed_ids, listed_levels, listed_rows)
      VALUES (\(province), \(submission), \(campaign.id), \(unit.kind.sql), \(unit.code),
        \(actor), now(), \(comment), \(bytes), \(ByteBuffer(bytes: hash)),
        \(snapshot.entries.map(\.facility)), \(snapshot.entries.map(\.level.sql)),
        \(listed.map(\.0.facility)), \(listed.map(\.0.level.sql)), \(rows))
      """,
      logger: connection.logger
    )
    try await connection.query(
      """
      INSERT INTO unit_reports (province_code, campaign_id, unit_kind, unit_code, state,
        submission_id, updated_by, updated_at, reason)
      VALUES (\(province), \(campaign.id), \(unit.kind.sql), \(unit.code), 'SUBMITTED',
        \(submission), \(actor), now(), '')
      ON CONFLICT (province_code, campaign_id, unit_kind, unit_code) DO UPDATE
      SET state = 'SUBMITTED', submission_id = EXCLUDED.submission_id,
        updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at, reason = ''
      """,
      logger: connection.logger
    )
    try await connection.query(
      """
      INSERT INTO unit_report_events (province_code, campaign_id, unit_kind, unit_code,
        event_id, state, submission_id, actor, at, text)
      VALUES (\(province), \(campaign.id), \(unit.kind.sql), \(unit.code), \(UUID()),
        'SUBMITTED', \(submission), \(actor), now(), \(comment))
      """,
      logger: connection.logger
    )
  }

  /// FAILED_PRECONDITION unless the unit may submit from `state`.
  private static func requireSubmittable(_ unit: ReportingUnit, _ state: UnitReport.State?)
    throws
  {
    guard !UnitReport.State.maySubmit(from: state), let state else { return }
    let next =
      state == .accepted
      ? "it is locked: only the province reopens it" : "the province accepts or returns it first"
    throw RPCError(
      code: .failedPrecondition,
      message: "unit: the report of \(unit.label) is \(state.sql); \(next)"
    )
  }

  /// The unit as a member of the campaign, with its name: a district of its area, or a zone
  /// of it. NOT_FOUND for a district or zone the province does not have; FAILED_PRECONDITION
  /// for one outside a district campaign's area.
  static func member(
    _ unit: ReportingUnit,
    of campaign: CampaignRecord,
    on connection: PostgresConnection
  ) async throws -> ReportingUnit {
    let rows =
      unit.kind == .district
      ? try await connection.query(
        """
        SELECT name, code FROM districts
        WHERE province_code = \(campaign.province) AND code = \(unit.code)
        """,
        logger: connection.logger
      )
      : try await connection.query(
        """
        SELECT name, district_code FROM zones
        WHERE province_code = \(campaign.province) AND zone_id = \(UUID(uuidString: unit.code))
        """,
        logger: connection.logger
      )
    for try await (name, district) in rows.decode((String, String).self) {
      if let area = campaign.district, area != district {
        throw RPCError(
          code: .failedPrecondition,
          message: "unit: \(unit.label) is not a reporting unit of this campaign (district "
            + "\(area) only)"
        )
      }
      return ReportingUnit(kind: unit.kind, code: unit.code, name: name)
    }
    throw RPCError(
      code: .notFound,
      message: "unit.code: no \(unit.kind == .district ? "district" : "zone") \(unit.code) "
        + "in province \(campaign.province)"
    )
  }

  /// The units a review names: 1 to ``UnitReport/maximumReviewUnits``, each once.
  private static func reviewedUnits(
    _ messages: [Safemap_Reporting_V1_ReportingUnit],
    caller: Principal
  ) throws -> [ReportingUnit] {
    guard !messages.isEmpty else {
      throw RPCError(code: .invalidArgument, message: "units: name at least one unit")
    }
    guard messages.count <= UnitReport.maximumReviewUnits else {
      throw RPCError(
        code: .invalidArgument,
        message: "units: at most \(UnitReport.maximumReviewUnits) in one review"
      )
    }
    var units: [ReportingUnit] = []
    for (index, message) in messages.enumerated() {
      let unit = try ReportingUnit(message, field: "units[\(index)]", caller: caller)
      guard !units.contains(unit) else {
        throw RPCError(code: .invalidArgument, message: "units[\(index)]: listed twice")
      }
      units.append(unit)
    }
    return units
  }
}
