import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapCore
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// Bình Phước (70) in 2021: eleven districts and the economic-zone board asked to report back;
/// two districts did (Hớn Quản 694, Phú Riềng 698). Built through the public RPCs: one
/// facility in every district, a second in Hớn Quản inside the zone.
@Suite("Sign-off: units report back")
struct SignOffTests {
  static let districts = (688...698).map(String.init)
  static let honQuan = "694"
  static let phuRieng = "698"

  struct World: Sendable {
    let bed: ReportingTestBed
    let officer: Metadata
    /// Each test runs its own campaign (``withNewCampaign()``): tests run in parallel.
    var campaign = ""
    let zone: String
    /// Facility tokens by district; "zone" for the facility in the zone.
    let facilities: [String: Metadata]

    func withNewCampaign() async throws -> World {
      let officer = officer
      var world = self
      world.campaign = try await bed.reports {
        try await $0.createCampaign(
          .with {
            $0.requestID = UUID().uuidString
            $0.campaign = .with {
              $0.title = "Rà soát, báo cáo kết quả đánh giá"
              $0.deadline = Date().addingTimeInterval(86_400).timestamp
            }
          },
          metadata: officer
        )
      }.campaign.campaignID
      return world
    }

    func district(_ code: String) async throws -> Metadata {
      try await TestKeys.metadata(for: person(.districtOfficer, "70", district: code))
    }

    func unit(_ code: String) -> Safemap_Reporting_V1_ReportingUnit {
      .with {
        $0.kind = .district
        $0.code = code
      }
    }

    func rate(at instant: Date? = nil) async throws -> Safemap_Reporting_V1_GetReportingRateResponse
    {
      let officer = officer
      let campaign = campaign
      return try await bed.reports {
        try await $0.getReportingRate(
          .with {
            $0.campaignID = campaign
            if let instant { $0.asOfTime = instant.timestamp }
          },
          metadata: officer
        )
      }
    }

    func submit(_ code: String, comment: String) async throws
      -> Safemap_Reporting_V1_UnitReportStatus
    {
      let token = try await district(code)
      let campaign = campaign
      return try await bed.reports {
        try await $0.submitUnitReport(
          .with {
            $0.campaignID = campaign
            $0.comment = comment
          },
          metadata: token
        )
      }.status
    }

    func review(
      _ codes: [String],
      _ action: Safemap_Reporting_V1_ReviewAction,
      reason: String = "",
      as caller: Metadata? = nil
    ) async throws -> [Safemap_Reporting_V1_UnitReportStatus] {
      let units = codes.map(unit)
      let campaign = campaign
      let token = caller ?? officer
      return try await bed.reports {
        try await $0.reviewUnitReports(
          .with {
            $0.campaignID = campaign
            $0.units = units
            $0.action = action
            $0.reason = reason
          },
          metadata: token
        )
      }.statuses
    }
  }

  static let world = Task { () throws -> World in
    let bed = try await ReportingTestBed.start()
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("70"))
    let zone = try await bed.facilities {
      try await $0.createZone(
        .with {
          $0.zone = .with {
            $0.name = "KKT cửa khẩu Hoa Lư"
            $0.zoneType = .economicZone
            $0.districtCode = honQuan
          }
        },
        metadata: officer
      )
    }.zone.zoneID
    var rows: [Safemap_Account_V1_Facility] = districts.enumerated().map { index, district in
      .with {
        $0.name = "Công ty huyện \(district)"
        $0.taxCode = String(format: "38%08d", index + 1)
        $0.districtCode = district
        $0.workerCount = 300
        $0.workshopAreaM2 = 1_000
      }
    }
    rows.append(
      .with {
        $0.name = "Công ty trong khu kinh tế"
        $0.taxCode = "3800000099"
        $0.districtCode = honQuan
        $0.zoneID = zone
        $0.workerCount = 900
        $0.workshopAreaM2 = 5_000
      }
    )
    let results = try await bed.issue(rows, province: "70", as: officer)
    var facilities: [String: Metadata] = [:]
    for (result, key) in zip(results, districts + ["zone"]) {
      facilities[key] = try await TestKeys.metadata(for: facilityPrincipal(result, province: "70"))
    }
    // Hớn Quản's own facility is safe; the zone's is unsafe; every other facility has not
    // assessed.
    try await bed.submit(.workplace, AssessmentAnswers.workplace(), as: facilities[honQuan]!)
    try await bed.submit(
      .workplace,
      AssessmentAnswers.workplace(["CS3": "CS3.F0"]),
      as: facilities["zone"]!
    )
    return World(
      bed: bed,
      officer: officer,
      zone: zone,
      facilities: facilities
    )
  }

  @Test("two of twelve report: submit, return, resubmit, accept together; reopen; as of before")
  func twoOfTwelve() async throws {
    let world = try await Self.world.value.withNewCampaign()
    let before = try await world.rate()
    #expect(before.expected == 12)
    #expect(before.submitted == 0 && before.missing == 12)
    #expect(before.units.count == 12)
    #expect(before.units.last?.unit.kind == .zone)

    let honQuan = try await world.submit(Self.honQuan, comment: "Đã rà soát 2 cơ sở")
    #expect(honQuan.state == .submitted && honQuan.timeliness == .onTime)
    #expect(honQuan.contentHash.count == 64)
    #expect(honQuan.comment == "Đã rà soát 2 cơ sở")
    #expect(honQuan.unit.name.contains("Hớn Quản"))
    let first = try await world.submit(Self.phuRieng, comment: "Lần 1")
    await expectCode(.failedPrecondition, mentioning: "SUBMITTED") {
      try await world.submit(Self.phuRieng, comment: "Lần 2 quá sớm")
    }
    await expectCode(.invalidArgument, mentioning: "reason") {
      try await world.review([Self.phuRieng], .return)
    }
    let returned = try await world.review(
      [Self.phuRieng],
      .return,
      reason: "Thiếu danh sách cơ sở chưa đánh giá"
    )
    #expect(returned.first?.state == .returned)
    #expect(returned.first?.reason == "Thiếu danh sách cơ sở chưa đánh giá")
    let afterReturn = Date()
    #expect(try await world.rate().submitted == 1)
    await expectCode(.failedPrecondition, mentioning: "RETURNED") {
      try await world.review([Self.phuRieng], .accept)
    }

    let second = try await world.submit(Self.phuRieng, comment: "Lần 2, đủ danh sách")
    #expect(second.submissionID != first.submissionID)
    let accepted = try await world.review([Self.honQuan, Self.phuRieng], .accept)
    #expect(accepted.map(\.state) == [.accepted, .accepted])
    await expectCode(.failedPrecondition, mentioning: "ACCEPTED") {
      try await world.submit(Self.honQuan, comment: "Sửa lại")
    }

    let rate = try await world.rate()
    #expect(rate.expected == 12 && rate.submitted == 2 && rate.accepted == 2)
    #expect(rate.onTime == 2 && rate.late == 0 && rate.missing == 10)
    #expect(abs(rate.ratePercent - 200.0 / 12) < 0.001)
    let missing = rate.units.filter { $0.timeliness == .missing }.map(\.unit.code)
    #expect(missing.count == 10)
    #expect(!missing.contains(Self.honQuan) && !missing.contains(Self.phuRieng))
    #expect(missing.contains(world.zone))

    // All or nothing: one unit in the wrong state refuses the whole review.
    await expectCode(.failedPrecondition, mentioning: "units[1]: DISTRICT/688 is NOT_SUBMITTED") {
      try await world.review([Self.honQuan, "688"], .reopen, reason: "Số liệu sai")
    }
    #expect(try await world.rate().accepted == 2)

    let reopened = try await world.review([Self.honQuan], .reopen, reason: "Số liệu sai")
    #expect(reopened.first?.state == .reopened)
    #expect(try await world.rate().submitted == 1)
    // As of an instant between the return and the acceptance: Hớn Quản submitted, Phú Riềng
    // returned.
    let then = try await world.rate(at: afterReturn)
    #expect(then.submitted == 1 && then.accepted == 0 && then.missing == 11)
    let phuRiengThen = then.units.first { $0.unit.code == Self.phuRieng }
    #expect(phuRiengThen?.state == .returned)

    let transitions = try await world.bed.superuserInteger(
      """
      SELECT count(*)::int8 FROM audit_events WHERE province_code = '70'
        AND action IN ('SubmitUnitReport', 'ReviewUnitReports') AND outcome = 'SUCCESS'
        AND target_id LIKE '\(world.campaign)/%'
      """
    )
    // Submitted 3 times, returned, accepted twice, reopened.
    #expect(transitions == 7)
  }

  @Test("a snapshot never changes; beside it, the facilities changed since; frozen lists page")
  func snapshotAndChangesSince() async throws {
    let world = try await Self.world.value.withNewCampaign()
    let unit = Safemap_Reporting_V1_ReportingUnit.with {
      $0.kind = .zone
      $0.code = world.zone
    }
    let zoneOfficer = try await TestKeys.metadata(
      for: person(.zoneOfficer, "70", zone: world.zone)
    )
    let campaign = world.campaign
    let submitted = try await world.bed.reports {
      try await $0.submitUnitReport(
        .with {
          $0.campaignID = campaign
          $0.comment = "Ban quản lý khu kinh tế"
        },
        metadata: zoneOfficer
      )
    }.status
    #expect(submitted.unit.kind == .zone && submitted.state == .submitted)
    func read() async throws -> Safemap_Reporting_V1_GetUnitReportResponse {
      let officer = world.officer
      return try await world.bed.reports {
        try await $0.getUnitReport(
          .with {
            $0.campaignID = campaign
            $0.unit = unit
          },
          metadata: officer
        )
      }
    }
    let frozen = try await read()
    #expect(frozen.snapshot.unitRow.active == 1 && frozen.snapshot.unitRow.unsafe == 1)
    #expect(frozen.snapshot.locationRows.map(\.groupKey) == ["INSIDE", "OUTSIDE"])
    #expect(frozen.snapshot.locationRows.first?.active == 1)
    #expect(frozen.snapshot.atRiskListed == 1 && frozen.snapshot.notAssessedListed == 0)
    #expect(frozen.status.changedSince == 0)
    #expect(frozen.events.map(\.state) == [.submitted])

    // The facility assesses again, safe now: one change since; the snapshot stays as it was.
    try await world.bed.submit(
      .workplace,
      AssessmentAnswers.workplace(),
      as: world.facilities["zone"]!
    )
    let later = try await read()
    #expect(later.status.changedSince == 1)
    #expect(later.snapshot == frozen.snapshot)
    #expect(later.status.contentHash == frozen.status.contentHash)

    let officer = world.officer
    let listed = try await world.bed.reports {
      try await $0.listUnitReportFacilities(
        .with {
          $0.campaignID = campaign
          $0.submissionID = submitted.submissionID
          $0.list = .atRisk
        },
        metadata: officer
      )
    }
    #expect(listed.rows.count == 1 && listed.rows.first?.mapLevel == .unsafe)
    // A district officer sees neither the zone's report nor its frozen list.
    let district = try await world.district("688")
    await expectCode(.permissionDenied, mentioning: "unit") {
      try await world.bed.reports {
        try await $0.getUnitReport(
          .with {
            $0.campaignID = campaign
            $0.unit = unit
          },
          metadata: district
        )
      }
    }
    await expectCode(.notFound, mentioning: "submission_id") {
      try await world.bed.reports {
        try await $0.listUnitReportFacilities(
          .with {
            $0.campaignID = campaign
            $0.submissionID = submitted.submissionID
            $0.list = .atRisk
          },
          metadata: district
        )
      }
    }
  }

  @Test("only a unit's officer submits, only the province reviews; bad input names its field")
  func refusals() async throws {
    let world = try await Self.world.value.withNewCampaign()
    let campaign = world.campaign
    let district = try await world.district("688")
    await expectCode(.permissionDenied, mentioning: "DISTRICT/689") {
      try await world.bed.reports {
        try await $0.submitUnitReport(
          .with {
            $0.campaignID = campaign
            $0.unit = world.unit("689")
          },
          metadata: district
        )
      }
    }
    await expectCode(.permissionDenied, mentioning: "province department") {
      try await world.review(["688"], .accept, as: district)
    }
    await expectCode(.invalidArgument, mentioning: "comment") {
      try await world.submit("688", comment: String(repeating: "x", count: 1_001))
    }
    await expectCode(.notFound, mentioning: "campaign_id") {
      try await world.bed.reports {
        try await $0.submitUnitReport(
          .with { $0.campaignID = UUID().uuidString },
          metadata: district
        )
      }
    }
    await expectCode(.invalidArgument, mentioning: "units[1]: listed twice") {
      try await world.review(["688", "688"], .accept)
    }
    await expectCode(.invalidArgument, mentioning: "units[0].code") {
      try await world.review(["68"], .accept)
    }
    await expectCode(.invalidArgument, mentioning: "action") {
      try await world.review(["688"], .unspecified)
    }
    // Another province's officer does not find the campaign.
    let other = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    await expectCode(.notFound, mentioning: "campaign_id") {
      try await world.bed.reports {
        try await $0.getReportingRate(.with { $0.campaignID = campaign }, metadata: other)
      }
    }
    // A refused submission is audited in the caller's province (the over-long comment was
    // refused by the request limits before the handler).
    let refused = try await world.bed.superuserInteger(
      """
      SELECT count(*)::int8 FROM audit_events WHERE province_code = '70'
        AND action = 'SubmitUnitReport' AND outcome <> 'SUCCESS'
        AND (detail LIKE 'unit: only the officer of DISTRICT/689%'
          OR detail LIKE 'campaign_id: no such campaign%')
      """
    )
    #expect(refused == 2)
  }
}
