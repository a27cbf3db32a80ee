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

/// The department's letter for a campaign (docs/domain.md, workflow 9). Each district's figures
/// come from its accepted snapshot, or live where it has none (and the letter says so); the
/// province's figures are the sum of its districts, so a facility counted by a zone board's
/// report too is never counted twice.
extension ReportingService {
  public func getCampaignLetter(
    request: Safemap_Reporting_V1_GetCampaignLetterRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetCampaignLetterResponse {
    let principal = try RequestPrincipal.require()
    guard AccessPolicy.mayReadWholeProvince(principal) else {
      throw RPCError(
        code: .permissionDenied,
        message: "the letter is the province department's; districts read their own report"
      )
    }
    let scope = try Self.scope(principal, province: request.provinceCode)
    return try await database.withTenantTransaction(
      try Self.tenant(scope),
      cancellation: context.cancellation
    ) { connection in
      let campaign = try await Self.visibleCampaign(request.campaignID, scope, on: connection)
      let now = ReportInstant.now(Date())
      // One count of the area serves the units and the districts' live figures.
      let places = try await ReportingUnit.placeCounts(of: campaign, at: now, on: connection)
      let units = try await ReportingUnit.all(
        of: campaign,
        at: now,
        counts: places,
        on: connection
      )
      var live: [String: (inside: SummaryCounts, outside: SummaryCounts)] = [:]
      for (place, counts) in places {
        var part = live[place.district] ?? (SummaryCounts(), SummaryCounts())
        if place.inside {
          part.inside = part.inside + counts
        } else {
          part.outside = part.outside + counts
        }
        live[place.district] = part
      }
      let records = try await UnitReportRecord.read(
        campaign: campaign.id,
        province: campaign.province,
        at: nil,
        on: connection
      )
      let snapshots = try await Self.acceptedSnapshots(
        records.values.filter { $0.state == .accepted && $0.kind == .district },
        province: campaign.province,
        on: connection
      )
      var inside = SummaryCounts()
      var outside = SummaryCounts()
      var sources: [Safemap_Reporting_V1_LetterSource] = []
      var liveNames: [String] = []
      var reported: [Safemap_Reporting_V1_UnitReportStatus] = []
      var missing: [Safemap_Reporting_V1_UnitReportStatus] = []
      var rate = UnitReport.Rate()
      for (unit, active) in units {
        let record = records[unit]
        let status = UnitReportRecord.status(
          unit,
          active: active,
          record: record,
          deadline: campaign.deadline
        )
        let timeliness = UnitReport.Timeliness(status.timeliness) ?? .missing
        rate.add(timeliness, state: record?.state)
        if record?.state.counts == true, timeliness != .notExpected { reported.append(status) }
        if timeliness == .missing { missing.append(status) }
        guard unit.kind == .district else { continue }
        if let record, let snapshot = snapshots[record.submissionID] {
          for row in snapshot.locationRows {
            if row.groupKey == "INSIDE" { inside = inside + SummaryCounts(row: row) }
            if row.groupKey == "OUTSIDE" { outside = outside + SummaryCounts(row: row) }
          }
          sources.append(
            .with {
              $0.unit = unit.message
              $0.fromSnapshot = true
              $0.submissionID = record.submissionID.uuidString.lowercased()
              $0.snapshotTime = snapshot.snapshotTime
            }
          )
        } else {
          inside = inside + (live[unit.code]?.inside ?? SummaryCounts())
          outside = outside + (live[unit.code]?.outside ?? SummaryCounts())
          if active > 0 { liveNames.append(unit.name) }
          sources.append(.with { $0.unit = unit.message })
        }
      }
      let draft = CampaignLetter.Draft(
        province: try await Self.provinceName(campaign.province, on: connection),
        campaign: campaign.title,
        asOf: VietnamCalendar.day(now.date),
        inside: inside.letterPart,
        outside: outside.letterPart,
        reported: reported.map(\.unit.name),
        expected: rate.expected,
        missing: missing.map(\.unit.name),
        live: liveNames
      )
      let locationRows = [
        inside.row(key: "INSIDE", name: "Trong khu công nghiệp, khu kinh tế"),
        outside.row(key: "OUTSIDE", name: "Ngoài khu công nghiệp, khu kinh tế"),
      ]
      return .with {
        $0.campaign = campaign.message
        $0.provinceName = draft.province
        $0.draftTime = Google_Protobuf_Timestamp(date: now.date)
        $0.total = Self.total(locationRows)
        $0.locationRows = locationRows
        $0.sources = sources
        $0.reported = reported
        $0.notReported = missing
        $0.paragraphs = draft.paragraphs
      }
    }
  }

  /// The snapshots of `records`' submissions, by submission id.
  private static func acceptedSnapshots(
    _ records: [UnitReportRecord],
    province: String,
    on connection: PostgresConnection
  ) async throws -> [UUID: Safemap_Reporting_V1_UnitReportSnapshot] {
    guard !records.isEmpty else { return [:] }
    var snapshots: [UUID: Safemap_Reporting_V1_UnitReportSnapshot] = [:]
    for try await (id, bytes) in try await connection.query(
      """
      SELECT submission_id, snapshot FROM unit_report_submissions
      WHERE province_code = \(province) AND submission_id = ANY(\(records.map(\.submissionID)))
      """,
      logger: connection.logger
    ).decode((UUID, ByteBuffer).self) {
      snapshots[id] = try .init(serializedBytes: Array(buffer: bytes))
    }
    return snapshots
  }

  private static func provinceName(_ code: String, on connection: PostgresConnection)
    async throws -> String
  {
    for try await name in try await connection.query(
      "SELECT name FROM provinces WHERE code = \(code)",
      logger: connection.logger
    ).decode(String.self) {
      return name
    }
    return code
  }
}

extension SummaryCounts {
  /// What the letter says of these counts.
  var letterPart: CampaignLetter.Part {
    CampaignLetter.Part(
      issued: issued,
      stopped: stopped,
      safe: safe,
      atRisk: atRisk,
      unsafe: unsafe,
      notAssessed: overdue + neverAssessed
    )
  }
}
