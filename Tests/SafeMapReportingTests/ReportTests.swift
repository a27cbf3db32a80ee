import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapCore
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// Every report of the scenario (``ReportScenario``) against the counts known facility by
/// facility, now and as of two earlier instants.
@Suite("Reports reproduce the scenario's known counts")
struct ReportTests {
  typealias Counts = ReportScenario.Counts

  static func officer() async throws -> Metadata {
    try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
  }

  static func asOf(_ world: ReportScenario, _ instant: ReportScenario.Instant)
    -> Google_Protobuf_Timestamp?
  {
    instant == .now ? nil : world.instants[instant]!.timestamp
  }

  static func summary(
    _ world: ReportScenario,
    _ grouping: Safemap_Reporting_V1_SummaryGrouping,
    at instant: ReportScenario.Instant,
    as caller: Metadata? = nil
  ) async throws -> Safemap_Reporting_V1_GetProvinceSummaryResponse {
    let token: Metadata
    if let caller { token = caller } else { token = try await officer() }
    return try await world.bed.reports {
      try await $0.getProvinceSummary(
        .with {
          $0.grouping = grouping
          if let time = asOf(world, instant) { $0.asOfTime = time }
        },
        metadata: token
      )
    }
  }

  static func checkInvariants(_ row: Safemap_Reporting_V1_SummaryRow) {
    #expect(row.active == row.issued - row.stopped, "\(row.groupKey)")
    #expect(row.assessed + row.overdue + row.neverAssessed == row.active, "\(row.groupKey)")
    #expect(row.safe + row.atRisk + row.unsafe == row.assessed, "\(row.groupKey)")
    let rate = row.active == 0 ? 0 : Double(row.assessed) * 100 / Double(row.active)
    #expect(abs(row.assessedRatePercent - rate) < 1e-9, "\(row.groupKey)")
  }

  @Test(
    "R1, R2 and R3 match the known states, with every district and zone listed",
    arguments: ReportScenario.Instant.allCases
  )
  func provinceSummaries(at instant: ReportScenario.Instant) async throws {
    let world = try await ReportScenario.shared.value
    let specs = ReportScenario.specs
    let none = try await Self.summary(world, .none, at: instant)
    #expect(none.rows.isEmpty)
    #expect(Counts(none.total) == ReportScenario.expectedRow(at: instant) { _ in true })
    Self.checkInvariants(none.total)

    let location = try await Self.summary(world, .zoneLocation, at: instant)
    #expect(location.rows.map(\.groupKey) == ["INSIDE", "OUTSIDE"])
    #expect(
      Counts(location.rows[0]) == ReportScenario.expectedRow(at: instant) { $0.zone == "KCN" }
    )
    #expect(
      Counts(location.rows[1]) == ReportScenario.expectedRow(at: instant) { $0.zone != "KCN" }
    )
    #expect(location.total == none.total)

    let districts = try await Self.summary(world, .district, at: instant)
    // Phú Thọ has 13 districts; each has a row, zeros included.
    #expect(districts.rows.count == 13)
    for row in districts.rows {
      Self.checkInvariants(row)
      #expect(!row.groupName.isEmpty)
      let expected = ReportScenario.expectedRow(at: instant) { $0.district == row.groupKey }
      #expect(Counts(row) == expected, "district \(row.groupKey)")
    }
    #expect(districts.total == none.total)

    let zones = try await Self.summary(world, .zone, at: instant)
    #expect(Set(zones.rows.map(\.groupKey)) == Set(world.zones.values))
    for row in zones.rows {
      Self.checkInvariants(row)
      let key = world.zones.first { $0.value == row.groupKey }!.key
      #expect(Counts(row) == ReportScenario.expectedRow(at: instant) { $0.zone == key })
    }
    #expect(Counts(zones.total) == ReportScenario.expectedRow(at: instant) { !$0.zone.isEmpty })
    _ = specs
  }

  @Test("now equals as of the current instant, for every grouping")
  func nowEqualsAsOfNow() async throws {
    let world = try await ReportScenario.shared.value
    let officer = try await Self.officer()
    for grouping in [Safemap_Reporting_V1_SummaryGrouping.none, .zoneLocation, .district, .zone] {
      let now = try await Self.summary(world, grouping, at: .now)
      let asOf = try await world.bed.reports {
        try await $0.getProvinceSummary(
          .with {
            $0.grouping = grouping
            $0.asOfTime = Date().addingTimeInterval(-0.001).timestamp
          },
          metadata: officer
        )
      }
      #expect(now.rows == asOf.rows, "\(grouping)")
      #expect(now.total == asOf.total, "\(grouping)")
    }
  }

  @Test("R6 has a row per province, 25 and 70 as known", arguments: ReportScenario.Instant.allCases)
  func nationalSummary(at instant: ReportScenario.Instant) async throws {
    let world = try await ReportScenario.shared.value
    let ministry = try await TestKeys.metadata(for: TestPrincipals.ministry)
    let national = try await world.bed.reports {
      try await $0.getNationalSummary(
        .with { if let time = Self.asOf(world, instant) { $0.asOfTime = time } },
        metadata: ministry
      )
    }
    #expect(national.rows.count == 63)
    let province = try await Self.summary(world, .none, at: instant)
    var own = national.rows.first { $0.groupKey == "25" }!
    #expect(own.groupName == "Phú Thọ")
    own.groupKey = "TOTAL"
    own.groupName = province.total.groupName
    #expect(own == province.total)
    let binhPhuoc = national.rows.first { $0.groupKey == "70" }!
    #expect(binhPhuoc.issued == 1 && binhPhuoc.safe == 1)
    for row in national.rows where !["25", "70"].contains(row.groupKey) {
      #expect(row.issued == 0)
    }
    #expect(national.total.issued == province.total.issued + 1)
    #expect(national.total.safe == province.total.safe + 1)
    Self.checkInvariants(national.total)
  }

  static func list(
    _ world: ReportScenario,
    _ filter: Safemap_Reporting_V1_FacilityStatusFilter,
    at instant: ReportScenario.Instant,
    pageSize: Int32 = 2,
    as caller: Metadata? = nil
  ) async throws -> (rows: [Safemap_Reporting_V1_FacilityStatusRow], total: Int32) {
    let metadata: Metadata
    if let caller { metadata = caller } else { metadata = try await officer() }
    var rows: [Safemap_Reporting_V1_FacilityStatusRow] = []
    var token = ""
    var total: Int32 = -1
    repeat {
      let page = try await world.bed.reports { [token] in
        try await $0.listFacilityStatuses(
          .with {
            $0.filter = filter
            $0.pageSize = pageSize
            $0.pageToken = token
            if let time = asOf(world, instant) { $0.asOfTime = time }
          },
          metadata: metadata
        )
      }
      #expect(total == -1 || page.totalSize == total)
      total = page.totalSize
      rows += page.rows
      token = page.nextPageToken
    } while !token.isEmpty
    return (rows, total)
  }

  func keys(_ world: ReportScenario, _ rows: [Safemap_Reporting_V1_FacilityStatusRow])
    -> Set<String>
  {
    keys(world, ids: rows.map(\.facilityID))
  }

  /// The scenario's names for facility ids.
  func keys(_ world: ReportScenario, ids: [String]) -> Set<String> {
    Set(ids.map { id in world.ids.first { $0.value == id }?.key ?? id })
  }

  @Test(
    "R4 and R5 list exactly the facilities the summaries count",
    arguments: [ReportScenario.Instant.t2, .now]
  )
  func lists(at instant: ReportScenario.Instant) async throws {
    let world = try await ReportScenario.shared.value
    let r4 = try await Self.list(
      world,
      .with { $0.mapLevels = [.notAssessed, .overdue] },
      at: instant
    )
    #expect(
      keys(world, r4.rows) == ReportScenario.keys(at: instant, levels: [.notAssessed, .overdue])
    )
    #expect(Int(r4.total) == r4.rows.count)
    let r5 = try await Self.list(world, .with { $0.mapLevels = [.atRisk, .unsafe] }, at: instant)
    #expect(keys(world, r5.rows) == ReportScenario.keys(at: instant, levels: [.atRisk, .unsafe]))
    let summary = try await Self.summary(world, .none, at: instant)
    #expect(r4.rows.count == Int(summary.total.neverAssessed + summary.total.overdue))
    #expect(r5.rows.count == Int(summary.total.atRisk + summary.total.unsafe))
    #expect(r4.rows.map(\.facilityID) == r4.rows.map(\.facilityID).sorted())

    let a3 = r5.rows.first { $0.facilityID == world.ids["A3"] }!
    #expect(a3.mapLevel == .unsafe && a3.kind == .workplace && a3.indexPercent > 0)
    #expect(a3.taxCode == "2500900003" && a3.districtCode == "227" && !a3.districtName.isEmpty)
    #expect(!a3.topCriteria.isEmpty && a3.hasLastAssessmentTime && a3.hasAccountIssueTime)
    #expect(a3.username == "2500900003" && a3.contactPhone == "0210 3845 445")
    let a2 = r5.rows.first { $0.facilityID == world.ids["A2"] }!
    #expect(a2.kind == .dormitory && a2.indexPercent == 40 && a2.zoneName == "KCN Thụy Vân")
    let a4 = r4.rows.first { $0.facilityID == world.ids["A4"] }!
    #expect(a4.mapLevel == .overdue && a4.hasLastAssessmentTime)
    let b2 = r4.rows.first { $0.facilityID == world.ids["B2"] }!
    #expect(b2.mapLevel == .notAssessed && !b2.hasLastAssessmentTime && b2.kind == .unspecified)

    let mismatch = try await Self.list(
      world,
      .with { $0.onlyInspectionMismatch = true },
      at: instant
    )
    #expect(keys(world, mismatch.rows) == ["A1"])
    #expect(mismatch.rows.first?.inspectionLevel == .unsafe)
    #expect(mismatch.rows.first?.selfAssessedSafeInspectedUnsafe == true)

    let inside = try await Self.list(
      world,
      .with { $0.zoneLocation = .insideIndustrialZone },
      at: instant
    )
    #expect(keys(world, inside.rows) == ["A1", "A2"])
    let district = try await Self.list(world, .with { $0.districtCode = "228" }, at: instant)
    let active228 = ReportScenario.expectedRow(at: instant) { $0.district == "228" }
    #expect(district.rows.count == active228.issued - active228.stopped)
  }

  @Test("the export streams the same rows as the list, and as many as the active count")
  func export() async throws {
    let world = try await ReportScenario.shared.value
    let officer = try await Self.officer()
    let listed = try await Self.list(world, .init(), at: .now, pageSize: 3)
    let exported = try await world.bed.reports {
      try await $0.exportFacilityStatuses(.with { _ in }, metadata: officer) { response in
        var rows: [Safemap_Reporting_V1_FacilityStatusRow] = []
        for try await message in response.messages { rows.append(message.row) }
        return rows
      }
    }
    #expect(exported == listed.rows)
    let summary = try await Self.summary(world, .none, at: .now)
    #expect(exported.count == Int(summary.total.active))
  }

  @Test("the counters of now agree with a recount of every issued facility's class")
  func countersAgreeWithARecount() async throws {
    let world = try await ReportScenario.shared.value
    let classes = """
      province_code, district_code, zone_id, inside_zone, has_dormitory, workplace_map_level,
      dormitory_map_level
      """
    let recount = """
      SELECT \(classes), inspected_at IS NOT NULL,
        coalesce(inspection_level = 'UNSAFE' AND inspected_at > GREATEST(workplace_submitted_at,
          CASE WHEN has_dormitory THEN dormitory_submitted_at END), false), count(*)::int8
      FROM facility_status WHERE issued_at IS NOT NULL
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
      """
    let counters = """
      SELECT \(classes), inspected, inspected_unsafe_since, facilities
      FROM facility_class_counts WHERE facilities <> 0
      """
    let differing = try await world.bed.superuserInteger(
      """
      SELECT count(*)::int FROM ((\(recount) EXCEPT \(counters))
        UNION ALL (\(counters) EXCEPT \(recount))) d
      """
    )
    #expect(differing == 0)
    let counted = try await world.bed.superuserInteger(
      "SELECT coalesce(sum(facilities), 0)::int FROM facility_class_counts"
    )
    // Every facility the scenario issued (other suites may add their own to this database).
    #expect(counted >= world.ids.count)
  }

  @Test("the map layer: points in the box with level and colour, the cut, the district counts")
  func mapLayer() async throws {
    let world = try await ReportScenario.shared.value
    let officer = try await Self.officer()
    let box = Safemap_Reporting_V1_BoundingBox.with {
      $0.low = .with {
        $0.latitude = 21.295; $0.longitude = 105.395
      }
      $0.high = .with {
        $0.latitude = 21.335; $0.longitude = 105.435
      }
    }
    let layer = try await world.bed.reports {
      try await $0.getMapLayer(.with { $0.boundingBox = box }, metadata: officer)
    }
    #expect(keys(world, ids: layer.points.map(\.facilityID)) == ["A1", "A2", "A3", "A4"])
    #expect(
      layer.points.map(\.name).sorted() == ["Công ty A1", "Công ty A2", "Công ty A3", "Công ty A4"]
    )
    #expect(!layer.truncated)
    // The box is read in two halves of latitude bands; cut, it is read whole by facility id.
    let boxCut = try await world.bed.reports {
      try await $0.getMapLayer(
        .with {
          $0.boundingBox = box; $0.maxPoints = 3
        },
        metadata: officer
      )
    }
    #expect(boxCut.truncated)
    #expect(
      boxCut.points.map(\.facilityID).sorted()
        == Array(layer.points.map(\.facilityID).sorted().prefix(3))
    )
    let colours = Dictionary(uniqueKeysWithValues: layer.points.map { ($0.facilityID, $0.color) })
    #expect(colours[world.ids["A1"]!] == "green")
    #expect(colours[world.ids["A2"]!] == "yellow")
    #expect(colours[world.ids["A3"]!] == "red")
    #expect(colours[world.ids["A4"]!] == "grey")
    #expect(layer.districtCounts.map(\.districtCode) == ["227"])
    let counts = layer.districtCounts[0]
    #expect(counts.safe == 1 && counts.atRisk == 1 && counts.unsafe == 1 && counts.overdue == 1)
    #expect(counts.notAssessed == 0)

    let cut = try await world.bed.reports {
      try await $0.getMapLayer(.with { $0.maxPoints = 2 }, metadata: officer)
    }
    #expect(cut.points.count == 2 && cut.truncated)
    let whole = try await world.bed.reports {
      try await $0.getMapLayer(.init(), metadata: officer)
    }
    // Every active facility; B1 is suspended.
    #expect(whole.points.count == 7 && !whole.truncated)
    // A cut layer shows the first points by facility id (an even sample, the same on every call).
    #expect(
      cut.points.map(\.facilityID) == Array(whole.points.map(\.facilityID).sorted().prefix(2))
    )
    #expect(whole.districtCounts.map(\.districtCode) == ["227", "228", "230"])
    let red = try await world.bed.reports {
      try await $0.getMapLayer(.with { $0.mapLevels = [.unsafe] }, metadata: officer)
    }
    #expect(keys(world, ids: red.points.map(\.facilityID)) == ["A3", "C1"])
    await expectCode(.invalidArgument, mentioning: "max_points") {
      try await world.bed.reports {
        try await $0.getMapLayer(.with { $0.maxPoints = 20_001 }, metadata: officer)
      }
    }
    await expectCode(.invalidArgument, mentioning: "bounding_box.low") {
      try await world.bed.reports {
        try await $0.getMapLayer(
          .with {
            $0.boundingBox = .with {
              $0.low = box.high; $0.high = box.low
            }
          },
          metadata: officer
        )
      }
    }
  }

  @Test("campaign progress per district and zone, before and after the deadline")
  func campaignProgress() async throws {
    let world = try await ReportScenario.shared.value
    func table(_ rows: [Safemap_Reporting_V1_CampaignProgressRow]) -> [String: [Int32]] {
      Dictionary(
        uniqueKeysWithValues: rows.map { ($0.groupKey, [$0.active, $0.done, $0.notDone]) }
      )
    }
    let before = world.progressBeforeDeadline
    // B1 stopped: 7 active; only C1 submitted since the start.
    #expect([before.total.active, before.total.done, before.total.notDone] == [7, 1, 6])
    #expect(before.byDistrict.count == 13)
    let beforeDistricts = table(before.byDistrict)
    #expect(beforeDistricts["227"] == [4, 0, 4])
    #expect(beforeDistricts["228"] == [2, 0, 2])
    #expect(beforeDistricts["230"] == [1, 1, 0])
    #expect(beforeDistricts["231"] == [0, 0, 0])
    let beforeZones = table(before.byZone)
    #expect(beforeZones[world.zones["KCN"]!] == [2, 0, 2])
    #expect(beforeZones[world.zones["CCN"]!] == [1, 0, 1])

    let after = world.progressAfterDeadline
    // B3 resubmitted before the deadline; A2's submission after it does not count.
    #expect([after.total.active, after.total.done, after.total.notDone] == [7, 2, 5])
    #expect(table(after.byDistrict)["228"] == [2, 1, 1])
    #expect(table(after.byDistrict)["227"] == [4, 0, 4])
    #expect(abs(after.total.doneRatePercent - 200.0 / 7) < 1e-9)
    #expect(after.campaign == world.campaign)

    let notDone = try await Self.list(
      world,
      .with { $0.campaignID = world.campaign.campaignID },
      at: .now
    )
    #expect(keys(world, notDone.rows) == ["A1", "A2", "A3", "A4", "B2"])

    let officer = try await Self.officer()
    let listed = try await world.bed.reports {
      try await $0.listCampaigns(.with { $0.includePast = true }, metadata: officer)
    }
    #expect(listed.campaigns.contains(world.campaign))
    #expect(
      listed.campaigns.map(\.deadline.date) == listed.campaigns.map(\.deadline.date).sorted(by: >)
    )
    let current = try await world.bed.reports {
      try await $0.listCampaigns(.init(), metadata: officer)
    }
    // Its deadline has passed.
    #expect(!current.campaigns.contains(world.campaign))
  }

  @Test("a campaign is validated, idempotent by request id, and audited")
  func campaignValidation() async throws {
    let world = try await ReportScenario.shared.value
    let officer = try await Self.officer()
    let start = Date()
    await expectCode(.invalidArgument, mentioning: "campaign.deadline") {
      try await world.bed.reports {
        try await $0.createCampaign(
          .with {
            $0.campaign = .with {
              $0.title = "Sai hạn"
              $0.startTime = start.timestamp
              $0.deadline = start.addingTimeInterval(-60).timestamp
            }
          },
          metadata: officer
        )
      }
    }
    await expectCode(.invalidArgument, mentioning: "campaign.district_code") {
      try await world.bed.reports {
        try await $0.createCampaign(
          .with {
            $0.campaign = .with {
              $0.title = "Huyện lạ"
              $0.deadline = start.addingTimeInterval(86_400).timestamp
              $0.districtCode = "689"
            }
          },
          metadata: officer
        )
      }
    }
    await expectCode(.invalidArgument, mentioning: "campaign.kinds[1]") {
      try await world.bed.reports {
        try await $0.createCampaign(
          .with {
            $0.campaign = .with {
              $0.title = "Hai lần"
              $0.deadline = start.addingTimeInterval(86_400).timestamp
              $0.kinds = [.workplace, .workplace]
            }
          },
          metadata: officer
        )
      }
    }
    let request = Safemap_Reporting_V1_CreateCampaignRequest.with {
      $0.requestID = "campaign-\(UUID())"
      $0.campaign = .with {
        $0.title = "Đợt 2 — huyện Đoan Hùng"
        $0.deadline = start.addingTimeInterval(7 * 86_400).timestamp
        $0.districtCode = "230"
        $0.kinds = [.workplace]
      }
    }
    let first = try await world.bed.reports {
      try await $0.createCampaign(request, metadata: officer)
    }.campaign
    let again = try await world.bed.reports {
      try await $0.createCampaign(request, metadata: officer)
    }.campaign
    #expect(first == again)
    #expect(first.districtCode == "230" && first.provinceCode == "25")
    let progress = try await world.bed.reports {
      try await $0.getCampaignProgress(
        .with { $0.campaignID = first.campaignID },
        metadata: officer
      )
    }
    // A district campaign covers its district only: C1, which submitted before it started.
    #expect(progress.byDistrict.map(\.groupKey) == ["230"])
    #expect([progress.total.active, progress.total.done] == [1, 0])
  }

  @Test("the daily trend replays the history: A4 safe, then overdue, and today as now")
  func trend() async throws {
    let world = try await ReportScenario.shared.value
    let officer = try await Self.officer()
    let now = Date()
    let trend = try await world.bed.reports {
      try await $0.getTrend(
        .with {
          $0.startTime = now.addingTimeInterval(-12 * 86_400).timestamp
          $0.endTime = now.timestamp
          $0.interval = .day
        },
        metadata: officer
      )
    }.points
    #expect(trend.count == 13)
    let zero = Safemap_Reporting_V1_TrendPoint()
    func levels(_ p: Safemap_Reporting_V1_TrendPoint) -> [Int32] {
      [p.safe, p.atRisk, p.unsafe, p.overdue, p.notAssessed]
    }
    #expect(levels(trend[1]) == levels(zero) && trend[1].submissions == 0)
    #expect(levels(trend[2]) == [1, 0, 0, 0, 0] && trend[2].submissions == 1)
    #expect(levels(trend[8]) == [1, 0, 0, 0, 0] && trend[8].submissions == 0)
    #expect(levels(trend[9]) == [0, 0, 0, 1, 0])
    #expect(levels(trend[11]) == [0, 0, 0, 1, 0])
    let today = try await Self.summary(world, .none, at: .now).total
    #expect(
      levels(trend[12]) == [
        today.safe, today.atRisk, today.unsafe, today.overdue, today.neverAssessed,
      ]
    )
    #expect(trend[12].submissions == Int32(ReportScenario.submissionsToday))
    // Each period starts at midnight in Vietnam.
    #expect((trend[1].periodStart.seconds + 7 * 3_600) % 86_400 == 0)

    let weekly = try await world.bed.reports {
      try await $0.getTrend(
        .with {
          $0.startTime = now.addingTimeInterval(-20 * 86_400).timestamp
          $0.endTime = now.timestamp
          $0.interval = .week
        },
        metadata: officer
      )
    }.points
    #expect(levels(weekly.last!) == levels(trend[12]))
    // ISO weeks start on Monday: 1970-01-05 was one.
    #expect((weekly[0].periodStart.seconds + 7 * 3_600 - 4 * 86_400) % (7 * 86_400) == 0)
    await expectCode(.invalidArgument, mentioning: "366") {
      try await world.bed.reports {
        try await $0.getTrend(
          .with {
            $0.startTime = now.addingTimeInterval(-400 * 86_400).timestamp
            $0.endTime = now.timestamp
          },
          metadata: officer
        )
      }
    }
  }
}
