import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapCore
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// Bình Phước's letter of 2021, rebuilt through the public RPCs: 446 facilities issued, 45
/// stopped; 269 of the 401 active assessed (135 inside the zones, 134 outside): 198 safe, 31
/// unsafe, 40 at risk; 132 not assessed (17 inside, 115 outside). Two districts report, one is
/// returned and resubmits, the province accepts both; the letter says 2 of 12 and names the
/// ten units that did not report.
@Suite("The campaign letter: Bình Phước's figures from snapshots and live counts")
struct CampaignLetterTests {
  static let districts = (688...698).map(String.init)
  static let honQuan = "694"
  static let phuRieng = "698"
  static let chonThanh = "697"

  enum Plan: CaseIterable { case safe, atRisk, unsafe, notAssessed, stopped }

  struct Facility {
    var district: String
    var inside: Bool
    var plan: Plan
  }

  /// 152 inside the zone (Chơn Thành), 294 outside spread over the eleven districts.
  static let facilities: [Facility] = {
    var list: [Facility] = []
    for (plan, count) in [(Plan.safe, 100), (.atRisk, 20), (.unsafe, 15), (.notAssessed, 17)] {
      list += Array(
        repeating: Facility(district: chonThanh, inside: true, plan: plan),
        count: count
      )
    }
    var index = 0
    for (plan, count) in [
      (Plan.safe, 98), (.atRisk, 20), (.unsafe, 16), (.notAssessed, 115), (.stopped, 45),
    ] {
      for _ in 0..<count {
        list.append(Facility(district: districts[index % 11], inside: false, plan: plan))
        index += 1
      }
    }
    return list
  }()

  @Test("446, 45, 401, 269/401, 135, 134, 198, 31, 40, 132/401, 17, 115; 2 of 12 reported")
  func binhPhuoc() async throws {
    let bed = try await ReportingTestBed.start()
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("70"))
    let zone = try await bed.facilities {
      try await $0.createZone(
        .with {
          $0.zone = .with {
            $0.name = "KCN Minh Hưng III"
            $0.zoneType = .industrialZone
            $0.districtCode = Self.chonThanh
          }
        },
        metadata: officer
      )
    }.zone.zoneID
    let rows: [Safemap_Account_V1_Facility] = Self.facilities.enumerated().map { index, f in
      .with {
        $0.name = "Công ty số \(index + 1)"
        $0.taxCode = String(format: "38%08d", index + 1)
        $0.districtCode = f.district
        $0.zoneID = f.inside ? zone : ""
        $0.workerCount = 200
        $0.workshopAreaM2 = 1_000
        $0.hasDormitory_p = f.plan == .atRisk
        $0.dormitoryResidents = f.plan == .atRisk ? 50 : 0
      }
    }
    let issued = try await bed.issue(rows, province: "70", as: officer)
    #expect(issued.count == 446 && issued.allSatisfy { $0.outcome == .issued })
    let work = zip(Self.facilities, issued).map { ($0.plan, $1) }
    try await withThrowingTaskGroup(of: Void.self) { group in
      var running = 0
      for (plan, result) in work {
        if running == 8 {
          try await group.next()
          running -= 1
        }
        running += 1
        group.addTask {
          let token = try await TestKeys.metadata(for: facilityPrincipal(result, province: "70"))
          switch plan {
          case .safe:
            try await bed.submit(.workplace, AssessmentAnswers.workplace(), as: token)
          case .atRisk:
            try await bed.submit(.workplace, AssessmentAnswers.workplace(), as: token)
            try await bed.submit(.dormitory, AssessmentAnswers.atRiskDormitory, as: token)
          case .unsafe:
            try await bed.submit(
              .workplace,
              AssessmentAnswers.workplace(["CS3": "CS3.F0"]),
              as: token
            )
          case .notAssessed:
            break
          case .stopped:
            _ = try await bed.facilities {
              try await $0.setOperatingStatus(
                .with {
                  $0.facilityID = result.facilityID
                  $0.status = .suspended
                  $0.reason = "Tạm dừng sản xuất"
                },
                metadata: officer
              )
            }
          }
        }
      }
      try await group.waitForAll()
    }

    let campaign = try await bed.reports {
      try await $0.createCampaign(
        .with {
          $0.requestID = UUID().uuidString
          $0.campaign = .with {
            $0.title = "Công văn số 1234/SCT-QLCN"
            $0.deadline = Date().addingTimeInterval(86_400).timestamp
          }
        },
        metadata: officer
      )
    }.campaign.campaignID
    func submit(_ district: String, _ comment: String) async throws {
      let token = try await TestKeys.metadata(
        for: person(.districtOfficer, "70", district: district)
      )
      _ = try await bed.reports {
        try await $0.submitUnitReport(
          .with {
            $0.campaignID = campaign
            $0.comment = comment
          },
          metadata: token
        )
      }
    }
    func review(_ codes: [String], _ action: Safemap_Reporting_V1_ReviewAction, _ reason: String)
      async throws
    {
      _ = try await bed.reports {
        try await $0.reviewUnitReports(
          .with {
            $0.campaignID = campaign
            $0.units = codes.map { code in
              .with {
                $0.kind = .district
                $0.code = code
              }
            }
            $0.action = action
            $0.reason = reason
          },
          metadata: officer
        )
      }
    }
    try await submit(Self.honQuan, "Huyện Hớn Quản báo cáo")
    try await submit(Self.phuRieng, "Huyện Phú Riềng báo cáo")
    try await review([Self.phuRieng], .return, "Thiếu danh sách kèm theo")
    try await submit(Self.phuRieng, "Bổ sung danh sách")
    try await review([Self.honQuan, Self.phuRieng], .accept, "")

    func letter() async throws -> Safemap_Reporting_V1_GetCampaignLetterResponse {
      try await bed.reports {
        try await $0.getCampaignLetter(.with { $0.campaignID = campaign }, metadata: officer)
      }
    }
    let drafted = try await letter()
    let total = drafted.total
    #expect(total.issued == 446 && total.stopped == 45 && total.active == 401)
    #expect(total.assessed == 269 && total.safe == 198 && total.unsafe == 31 && total.atRisk == 40)
    #expect(total.overdue + total.neverAssessed == 132)
    let inside = drafted.locationRows.first { $0.groupKey == "INSIDE" }
    let outside = drafted.locationRows.first { $0.groupKey == "OUTSIDE" }
    #expect(inside?.assessed == 135 && outside?.assessed == 134)
    #expect(inside.map { $0.overdue + $0.neverAssessed } == 17)
    #expect(outside.map { $0.overdue + $0.neverAssessed } == 115)
    let text = drafted.paragraphs.joined(separator: "\n")
    for figure in [
      "446 cơ sở", "45 cơ sở", "401 cơ sở", "269/401", "135 cơ sở", "134 cơ sở", "198 cơ sở",
      "31 cơ sở", "40 cơ sở", "132/401", "17 cơ sở", "115 cơ sở", "2/12 đơn vị",
    ] {
      #expect(text.contains(figure), "\(figure)")
    }
    #expect(drafted.provinceName == "Bình Phước")
    #expect(drafted.reported.map(\.unit.code).sorted() == [Self.honQuan, Self.phuRieng])
    #expect(drafted.notReported.count == 10)
    #expect(drafted.notReported.contains { $0.unit.kind == .zone && $0.unit.code == zone })
    #expect(text.contains("chưa gửi báo cáo: 10 đơn vị"))
    #expect(
      drafted.sources.filter(\.fromSnapshot).map(\.unit.code).sorted()
        == [Self.honQuan, Self.phuRieng]
    )

    // A facility of Hớn Quản assesses after its report was accepted: the letter keeps the
    // accepted figures. One in a district with no accepted report counts at once.
    let honQuanWaiting = work.enumerated().first {
      Self.facilities[$0.offset].district == Self.honQuan && $0.element.0 == .notAssessed
    }!.element.1
    let elsewhereWaiting = work.enumerated().first {
      Self.facilities[$0.offset].district == "688" && $0.element.0 == .notAssessed
    }!.element.1
    try await bed.submit(
      .workplace,
      AssessmentAnswers.workplace(),
      as: try await TestKeys.metadata(for: facilityPrincipal(honQuanWaiting, province: "70"))
    )
    #expect(try await letter().total.assessed == 269)
    try await bed.submit(
      .workplace,
      AssessmentAnswers.workplace(),
      as: try await TestKeys.metadata(for: facilityPrincipal(elsewhereWaiting, province: "70"))
    )
    #expect(try await letter().total.assessed == 270)

    // Districts do not draft the province's letter.
    let district = try await TestKeys.metadata(
      for: person(.districtOfficer, "70", district: Self.honQuan)
    )
    await expectCode(.permissionDenied, mentioning: "letter") {
      try await bed.reports {
        try await $0.getCampaignLetter(.with { $0.campaignID = campaign }, metadata: district)
      }
    }
    try await bed.stop()
  }
}
