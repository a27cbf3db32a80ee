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

/// Who has reported: the campaign's units with their states and timeliness, live or as of an
/// instant; one unit's frozen snapshot and what changed since; the frozen lists. A district
/// or zone officer sees its own unit only.
extension ReportingService {
  public func getReportingRate(
    request: Safemap_Reporting_V1_GetReportingRateRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetReportingRateResponse {
    let principal = try RequestPrincipal.require()
    let scope = try Self.scope(principal, province: request.provinceCode)
    let instant = try ReportInstant.requested(request.hasAsOfTime ? request.asOfTime.date : nil)
    return try await database.withTenantTransaction(
      try Self.tenant(scope),
      cancellation: context.cancellation
    ) { connection in
      let campaign = try await Self.visibleCampaign(request.campaignID, scope, on: connection)
      let units = try await ReportingUnit.all(of: campaign, at: instant, on: connection)
        .filter { Self.mayRead($0.unit, scope) }
      let records = try await UnitReportRecord.read(
        campaign: campaign.id,
        province: campaign.province,
        at: instant.past,
        on: connection
      )
      var rate = UnitReport.Rate()
      var statuses: [Safemap_Reporting_V1_UnitReportStatus] = []
      for (unit, active) in units {
        let record = records[unit]
        let status = UnitReportRecord.status(
          unit,
          active: active,
          record: record,
          deadline: campaign.deadline
        )
        if let timeliness = UnitReport.Timeliness(status.timeliness) {
          rate.add(timeliness, state: record?.state)
        }
        statuses.append(status)
      }
      return .with {
        $0.campaign = campaign.message
        $0.asOfTime = Google_Protobuf_Timestamp(date: instant.date)
        $0.expected = Int32(rate.expected)
        $0.submitted = Int32(rate.submitted)
        $0.accepted = Int32(rate.accepted)
        $0.onTime = Int32(rate.onTime)
        $0.late = Int32(rate.late)
        $0.missing = Int32(rate.missing)
        $0.ratePercent = rate.percent
        $0.units = statuses
      }
    }
  }

  public func getUnitReport(
    request: Safemap_Reporting_V1_GetUnitReportRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetUnitReportResponse {
    let principal = try RequestPrincipal.require()
    let scope = try Self.scope(principal, province: request.provinceCode)
    let unit = try ReportingUnit(request.unit, field: "unit", caller: principal)
    guard Self.mayRead(unit, scope) else {
      throw RPCError(code: .permissionDenied, message: "unit: outside your scope")
    }
    let requested = request.submissionID.isEmpty ? nil : UUID(uuidString: request.submissionID)
    guard request.submissionID.isEmpty || requested != nil else {
      throw RPCError(code: .invalidArgument, message: "submission_id: not a valid id")
    }
    return try await database.withTenantTransaction(
      try Self.tenant(scope),
      cancellation: context.cancellation
    ) { connection in
      let campaign = try await Self.visibleCampaign(request.campaignID, scope, on: connection)
      let named = try await Self.member(unit, of: campaign, on: connection)
      let province = campaign.province
      var submission: (id: UUID, snapshot: ByteBuffer)?
      for try await row in try await connection.query(
        """
        SELECT submission_id, snapshot FROM unit_report_submissions
        WHERE province_code = \(province) AND campaign_id = \(campaign.id)
          AND unit_kind = \(unit.kind.sql) AND unit_code = \(unit.code)
          AND (\(requested)::uuid IS NULL OR submission_id = \(requested))
        ORDER BY submitted_at DESC LIMIT 1
        """,
        logger: connection.logger
      ).decode((UUID, ByteBuffer).self) {
        submission = row
      }
      guard let submission else {
        throw RPCError(
          code: .notFound,
          message: requested == nil
            ? "unit: \(unit.label) has submitted nothing for this campaign"
            : "submission_id: no such submission of \(unit.label)"
        )
      }
      let snapshot = try Safemap_Reporting_V1_UnitReportSnapshot(
        serializedBytes: Array(buffer: submission.snapshot)
      )
      let active =
        try await ReportingUnit.all(of: campaign, at: .now(Date()), on: connection)
        .first { $0.unit == unit }?.active ?? 0
      let record = try await UnitReportRecord.read(
        campaign: campaign.id,
        province: province,
        at: nil,
        units: [unit],
        on: connection
      )[unit]
      var status = UnitReportRecord.status(
        named,
        active: active,
        record: record,
        deadline: campaign.deadline
      )
      status.changedSince = Int32(
        try await Self.changedSince(submission.id, unit: named, province: province, on: connection)
      )
      let events = try await UnitReportRecord.events(
        campaign: campaign.id,
        province: province,
        unit: unit,
        on: connection
      )
      return .with {
        $0.status = status
        $0.snapshot = snapshot
        $0.events = events
      }
    }
  }

  /// Facilities of the unit whose level now differs from the one `submission` froze: changed
  /// level, stopped operating, or new to the unit since.
  static func changedSince(
    _ submission: UUID,
    unit: ReportingUnit,
    province: String,
    on connection: PostgresConnection
  ) async throws -> Int {
    var sql = ReportSQL()
    let facts = FacilityFacts.subquery(
      unit.scope(province: province),
      at: .now(Date()),
      sql: &sql
    )
    sql.append(
      """
      WITH frozen AS (
        SELECT u.facility_id, u.map_level FROM unit_report_submissions s,
          unnest(s.facility_ids, s.facility_levels) AS u(facility_id, map_level)
        WHERE s.province_code = \(sql.bind(province)) AND s.submission_id = \(sql.bind(submission))
      ), current AS (
        SELECT facts.facility_id, facts.level FROM \(facts) facts WHERE facts.active
      )
      SELECT count(*)::int8 FROM frozen FULL JOIN current USING (facility_id)
      WHERE frozen.map_level IS DISTINCT FROM current.level
      """
    )
    for try await count in try await connection.query(sql.query, logger: connection.logger)
      .decode(Int64.self)
    {
      return Int(count)
    }
    return 0
  }

  public func listUnitReportFacilities(
    request: Safemap_Reporting_V1_ListUnitReportFacilitiesRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_ListUnitReportFacilitiesResponse {
    let principal = try RequestPrincipal.require()
    let scope = try Self.scope(principal, province: request.provinceCode)
    guard let submission = UUID(uuidString: request.submissionID) else {
      throw RPCError(code: .invalidArgument, message: "submission_id: not a valid id")
    }
    let levels: [FacilityStanding.Level]
    switch request.list {
    case .notAssessed: levels = [.notAssessed, .overdue]
    case .atRisk: levels = [.atRisk, .unsafe]
    default: throw RPCError(code: .invalidArgument, message: "list: NOT_ASSESSED or AT_RISK")
    }
    let page = try Paging.Page<String>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let after = page.after.flatMap(UUID.init(uuidString:))
    let pageSize = page.size
    let rows = try await database.withTenantTransaction(
      try Self.tenant(scope),
      cancellation: context.cancellation
    ) { connection in
      let campaign = try await Self.visibleCampaign(request.campaignID, scope, on: connection)
      var unit: ReportingUnit?
      for try await (kind, code) in try await connection.query(
        """
        SELECT unit_kind, unit_code FROM unit_report_submissions
        WHERE province_code = \(campaign.province) AND campaign_id = \(campaign.id)
          AND submission_id = \(submission)
        """,
        logger: connection.logger
      ).decode((String, String).self) {
        unit = UnitReport.UnitKind(sql: kind).map { ReportingUnit(kind: $0, code: code) }
      }
      // Another unit's submission is "not found" to a district officer, so ids do not leak.
      guard let unit, Self.mayRead(unit, scope) else {
        throw RPCError(code: .notFound, message: "submission_id: no such submission")
      }
      var rows: [Safemap_Reporting_V1_FacilityStatusRow] = []
      for try await row in try await connection.query(
        """
        SELECT u.row FROM unit_report_submissions s,
          unnest(s.listed_ids, s.listed_levels, s.listed_rows) AS u(facility_id, level, row)
        WHERE s.province_code = \(campaign.province) AND s.submission_id = \(submission)
          AND u.level = ANY(\(levels.map(\.sql))::text[])
          AND (\(after)::uuid IS NULL OR u.facility_id > \(after))
        ORDER BY u.facility_id LIMIT \(pageSize)
        """,
        logger: connection.logger
      ).decode(ByteBuffer.self) {
        rows.append(try .init(serializedBytes: Array(buffer: row)))
      }
      return rows
    }
    await auditRead(
      principal,
      province: scope.province,
      target: ("unit_report_list", submission.uuidString.lowercased()),
      detail: "\(rows.count) rows of \(levels.map(\.sql).joined(separator: ","))",
      context: context
    )
    return .with {
      $0.rows = rows
      $0.nextPageToken = page.nextToken(after: rows.last?.facilityID, count: rows.count)
    }
  }

  /// The statuses of `units` now, after a transition: for the answer of a submission or review.
  func unitStatuses(
    _ campaign: CampaignRecord,
    units: [ReportingUnit],
    context: ServerContext
  ) async throws -> [Safemap_Reporting_V1_UnitReportStatus] {
    guard let tenant = Tenant.province(campaign.province) else { return [] }
    return try await database.withTenantTransaction(tenant, cancellation: context.cancellation) {
      connection in
      let all = try await ReportingUnit.all(of: campaign, at: .now(Date()), on: connection)
      let records = try await UnitReportRecord.read(
        campaign: campaign.id,
        province: campaign.province,
        at: nil,
        units: units,
        on: connection
      )
      return units.map { unit in
        let found = all.first { $0.unit == unit }
        return UnitReportRecord.status(
          found?.unit ?? unit,
          active: found?.active ?? 0,
          record: records[unit],
          deadline: campaign.deadline
        )
      }
    }
  }

  /// The campaign a reader may see: NOT_FOUND for another district's campaign, as in lists.
  static func visibleCampaign(
    _ id: String,
    _ scope: ReportScope,
    on connection: PostgresConnection
  ) async throws -> CampaignRecord {
    guard let province = scope.province else {
      throw RPCError(code: .invalidArgument, message: "province_code: required")
    }
    let campaign = try await CampaignRecord.require(
      id,
      province: province,
      field: "campaign_id",
      on: connection
    )
    if let district = campaign.district,
      let own = try await campaignDistrict(scope, on: connection), own != district
    {
      throw RPCError(code: .notFound, message: "campaign_id: no such campaign")
    }
    return campaign
  }

  /// A district officer reads its district's report, a zone officer its zone's; province
  /// and ministry readers every unit.
  static func mayRead(_ unit: ReportingUnit, _ scope: ReportScope) -> Bool {
    if !scope.district.isEmpty { return unit.kind == .district && unit.code == scope.district }
    if !scope.zone.isEmpty { return unit.kind == .zone && unit.code == scope.zone.lowercased() }
    return true
  }
}

extension ReportInstant {
  /// The instant of an as-of read; nil for "now" (the latest of everything, whatever the
  /// clocks of this machine and the database's say).
  var past: Date? {
    if case .past(let date) = self { return date }
    return nil
  }
}
