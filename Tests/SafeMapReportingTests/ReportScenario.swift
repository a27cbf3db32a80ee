import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapCore
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// A province built only through the public RPCs, with every state a report counts, at three
/// instants. Phú Thọ (25): Việt Trì (227) with KCN Thụy Vân, the town of Phú Thọ (228) with CCN
/// Phú Hà (a cluster: outside industrial zones in R1), Đoan Hùng (230); one facility in Bình
/// Phước (70) for the national row; one registered facility of 25 without an account.
///
/// - `t1`: after the first batch and the first submissions. A4's history was moved ten days
///   back (issued and assessed then, so OVERDUE since).
/// - `t2`: after a second batch (C1), more submissions and two inspections (A1 found unsafe
///   after self-assessing safe; B3 found safe).
/// - now: B1 suspended, C1 assessed unsafe, and a campaign run from `t2` to a deadline a few
///   seconds later: progress read, then B3 resubmits before the deadline and A2 after it.
struct ReportScenario: Sendable {
  enum Instant: CaseIterable, Sendable { case t1, t2, now }

  /// What a report should count for one facility at one instant.
  enum State: Sendable, Hashable {
    case notIssued
    case stopped
    case active(FacilityStanding.Level, inspected: Bool = false, mismatch: Bool = false)
  }

  struct Spec: Sendable {
    var key: String
    var taxCode: String
    var district: String
    /// "KCN", "CCN" or "".
    var zone: String
    var residents: Int32 = 0
    var latitude: Double
    var longitude: Double
  }

  static let specs: [Spec] = [
    Spec(
      key: "A1",
      taxCode: "2500900001",
      district: "227",
      zone: "KCN",
      latitude: 21.30,
      longitude: 105.40
    ),
    Spec(
      key: "A2",
      taxCode: "2500900002",
      district: "227",
      zone: "KCN",
      residents: 120,
      latitude: 21.31,
      longitude: 105.41
    ),
    Spec(
      key: "A3",
      taxCode: "2500900003",
      district: "227",
      zone: "",
      latitude: 21.32,
      longitude: 105.42
    ),
    Spec(
      key: "A4",
      taxCode: "2500900004",
      district: "227",
      zone: "",
      latitude: 21.33,
      longitude: 105.43
    ),
    Spec(
      key: "B1",
      taxCode: "2500900005",
      district: "228",
      zone: "CCN",
      latitude: 21.40,
      longitude: 105.20
    ),
    Spec(
      key: "B2",
      taxCode: "2500900006",
      district: "228",
      zone: "CCN",
      latitude: 21.41,
      longitude: 105.21
    ),
    Spec(
      key: "B3",
      taxCode: "2500900007",
      district: "228",
      zone: "",
      latitude: 21.42,
      longitude: 105.22
    ),
    Spec(
      key: "C1",
      taxCode: "2500900008",
      district: "230",
      zone: "",
      latitude: 21.60,
      longitude: 105.10
    ),
  ]

  /// The known truth, facility by facility.
  static let expected: [Instant: [String: State]] = [
    .t1: [
      "A1": .active(.safe), "A2": .active(.atRisk), "A3": .active(.notAssessed),
      "A4": .active(.overdue), "B1": .active(.safe), "B2": .active(.notAssessed),
      "B3": .active(.notAssessed), "C1": .notIssued,
    ],
    .t2: [
      "A1": .active(.safe, inspected: true, mismatch: true), "A2": .active(.atRisk),
      "A3": .active(.unsafe), "A4": .active(.overdue), "B1": .active(.safe),
      "B2": .active(.notAssessed), "B3": .active(.safe, inspected: true),
      "C1": .active(.notAssessed),
    ],
    .now: [
      "A1": .active(.safe, inspected: true, mismatch: true), "A2": .active(.atRisk),
      "A3": .active(.unsafe), "A4": .active(.overdue), "B1": .stopped,
      "B2": .active(.notAssessed), "B3": .active(.safe, inspected: true),
      "C1": .active(.unsafe),
    ],
  ]

  /// Submissions by facilities of 25 during the scenario (A4's moved ten days back excluded).
  static let submissionsToday = 9

  let bed: ReportingTestBed
  let ids: [String: String]
  let zones: [String: String]
  let tokens: [String: Metadata]
  let instants: [Instant: Date]
  let campaign: Safemap_Reporting_V1_Campaign
  let progressBeforeDeadline: Safemap_Reporting_V1_GetCampaignProgressResponse
  let progressAfterDeadline: Safemap_Reporting_V1_GetCampaignProgressResponse

  func token(_ key: String) -> Metadata { tokens[key]! }

  static let shared = Task { () throws -> ReportScenario in try await build() }

  static func build() async throws -> ReportScenario {
    let bed = try await ReportingTestBed.start()
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    let officer70 = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("70"))
    let inspector = try await TestKeys.metadata(for: TestPrincipals.healthInspector("25"))
    var zones: [String: String] = [:]
    for (key, name, type, district) in [
      ("KCN", "KCN Thụy Vân", Safemap_Common_V1_ZoneType.industrialZone, "227"),
      ("CCN", "CCN Phú Hà", .industrialCluster, "228"),
    ] {
      zones[key] = try await bed.facilities {
        try await $0.createZone(
          .with {
            $0.zone = .with {
              $0.name = name
              $0.zoneType = type
              $0.districtCode = district
            }
          },
          metadata: officer
        )
      }.zone.zoneID
    }
    let frozenZones = zones
    @Sendable func facility(_ spec: Spec) -> Safemap_Account_V1_Facility {
      .with {
        $0.name = "Công ty \(spec.key)"
        $0.taxCode = spec.taxCode
        $0.address = "Khu \(spec.key)"
        $0.districtCode = spec.district
        $0.zoneID = frozenZones[spec.zone] ?? ""
        $0.workerCount = 420
        $0.workshopAreaM2 = 2_500
        $0.hasDormitory_p = spec.residents > 0
        $0.dormitoryResidents = spec.residents
        $0.contactPhone = "0210 3845 445"
        $0.location = .with {
          $0.latitude = spec.latitude
          $0.longitude = spec.longitude
        }
      }
    }
    var ids: [String: String] = [:]
    var tokens: [String: Metadata] = [:]
    func remember(
      _ results: [Safemap_Account_V1_IssuanceResult],
      _ keys: [String],
      _ province: String
    )
      async throws
    {
      for (result, key) in zip(results, keys) {
        #expect(result.outcome == .issued, "\(key): \(result)")
        ids[key] = result.facilityID
        tokens[key] = try await TestKeys.metadata(
          for: facilityPrincipal(result, province: province)
        )
      }
    }
    let firstBatch = Array(specs.prefix(7))
    try await remember(
      try await bed.issue(firstBatch.map(facility), province: "25", as: officer),
      firstBatch.map(\.key),
      "25"
    )
    try await remember(
      try await bed.issue(
        [
          .with {
            $0.name = "Công ty D1"
            $0.taxCode = "7000900001"
            $0.districtCode = "689"
            $0.workerCount = 420
            $0.workshopAreaM2 = 2_500
          }
        ],
        province: "70",
        as: officer70
      ),
      ["D1"],
      "70"
    )
    // Registered, never issued: counted nowhere.
    _ = try await bed.facilities {
      try await $0.registerFacility(
        .with {
          $0.facility = facility(
            Spec(
              key: "E1",
              taxCode: "2500900009",
              district: "227",
              zone: "",
              latitude: 21.3,
              longitude: 105.4
            )
          )
        },
        metadata: officer
      )
    }

    let safe = AssessmentAnswers.workplace()
    let unsafe = AssessmentAnswers.workplace(["CS3": "CS3.F0"])
    try await bed.submit(.workplace, safe, as: tokens["A1"]!)
    try await bed.submit(.workplace, safe, as: tokens["A2"]!)
    try await bed.submit(.dormitory, AssessmentAnswers.atRiskDormitory, as: tokens["A2"]!)
    try await bed.submit(.workplace, safe, as: tokens["A4"]!)
    try await bed.submit(.workplace, safe, as: tokens["B1"]!)
    try await bed.submit(.workplace, safe, as: tokens["D1"]!)
    let a4 = ids["A4"]!
    for statement in [
      """
      UPDATE assessments SET submitted_at = submitted_at - interval '10 days',
        valid_until = valid_until - interval '10 days' WHERE facility_id = '\(a4)'
      """,
      """
      UPDATE facility_status SET workplace_submitted_at = workplace_submitted_at - interval '10 days',
        workplace_valid_until = workplace_valid_until - interval '10 days'
        WHERE facility_id = '\(a4)'
      """,
      "UPDATE accounts SET created_at = created_at - interval '10 days' WHERE facility_id = '\(a4)'",
    ] {
      try await bed.superuser(statement)
    }
    var instants: [Instant: Date] = [:]
    instants[.t1] = try await Self.pause()

    try await remember(
      try await bed.issue([facility(specs[7])], province: "25", as: officer),
      ["C1"],
      "25"
    )
    try await bed.submit(.workplace, unsafe, as: tokens["A3"]!)
    try await bed.submit(.workplace, safe, as: tokens["B3"]!)
    for (key, level) in [("A1", Safemap_Common_V1_MapLevel.unsafe), ("B3", .safe)] {
      let id = ids[key]!
      _ = try await bed.assessments {
        try await $0.recordInspection(
          .with {
            $0.requestID = UUID().uuidString
            $0.facilityID = id
            $0.inspectionDate = Self.today
            $0.findings = "Kiểm tra định kỳ"
            $0.levelFound = level
            $0.inspectorName = "Đoàn CDC Phú Thọ"
          },
          metadata: inspector
        )
      }
    }
    instants[.t2] = try await Self.pause()

    let deadline = Date().addingTimeInterval(4)
    let campaign = try await bed.reports { [instants] in
      try await $0.createCampaign(
        .with {
          $0.requestID = UUID().uuidString
          $0.campaign = .with {
            $0.title = "Tự đánh giá trước hạn"
            $0.startTime = instants[.t2]!.timestamp
            $0.deadline = deadline.timestamp
          }
        },
        metadata: officer
      )
    }.campaign
    let b1 = ids["B1"]!
    _ = try await bed.facilities {
      try await $0.setOperatingStatus(
        .with {
          $0.facilityID = b1
          $0.status = .suspended
          $0.reason = "Tạm dừng sản xuất"
        },
        metadata: officer
      )
    }
    try await bed.submit(.workplace, unsafe, as: tokens["C1"]!)
    instants[.now] = try await Self.pause()
    let progress = {
      @Sendable () async throws -> Safemap_Reporting_V1_GetCampaignProgressResponse in
      try await bed.reports {
        try await $0.getCampaignProgress(
          .with { $0.campaignID = campaign.campaignID },
          metadata: officer
        )
      }
    }
    let before = try await progress()
    // Before the deadline: counts, and keeps B3 SAFE.
    try await bed.submit(.workplace, safe, as: tokens["B3"]!)
    try await Task.sleep(for: .seconds(max(0, deadline.timeIntervalSinceNow) + 0.3))
    // After the deadline: does not count, and keeps A2 AT_RISK (its dormitory decides).
    try await bed.submit(.workplace, safe, as: tokens["A2"]!)
    let after = try await progress()
    return ReportScenario(
      bed: bed,
      ids: ids,
      zones: zones,
      tokens: tokens,
      instants: instants,
      campaign: campaign,
      progressBeforeDeadline: before,
      progressAfterDeadline: after
    )
  }

  /// Lets the clock move on both sides of the instant it returns, so rows written before and
  /// after it never share its microsecond.
  static func pause() async throws -> Date {
    try await Task.sleep(for: .milliseconds(30))
    let instant = Date()
    try await Task.sleep(for: .milliseconds(30))
    return instant
  }

  static var today: Safemap_Common_V1_Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 7 * 3_600)!
    let parts = calendar.dateComponents([.year, .month, .day], from: Date())
    return .with {
      $0.year = Int32(parts.year!)
      $0.month = Int32(parts.month!)
      $0.day = Int32(parts.day!)
    }
  }

  /// The summary row the known states give for the facilities `member` selects.
  static func expectedRow(at instant: Instant, where member: (Spec) -> Bool) -> Counts {
    var counts = Counts()
    for spec in specs where member(spec) {
      switch expected[instant]![spec.key]! {
      case .notIssued: break
      case .stopped:
        counts.issued += 1
        counts.stopped += 1
      case .active(let level, let inspected, let mismatch):
        counts.issued += 1
        switch level {
        case .safe: counts.safe += 1
        case .atRisk: counts.atRisk += 1
        case .unsafe: counts.unsafe += 1
        case .overdue: counts.overdue += 1
        case .notAssessed: counts.never += 1
        }
        if inspected { counts.inspected += 1 }
        if mismatch { counts.mismatch += 1 }
      }
    }
    return counts
  }

  /// The keys of the active facilities at `instant` whose level is one of `levels`.
  static func keys(at instant: Instant, levels: Set<FacilityStanding.Level>) -> Set<String> {
    Set(
      specs.compactMap { spec in
        guard case .active(let level, _, _) = expected[instant]![spec.key]!,
          levels.contains(level)
        else { return nil }
        return spec.key
      }
    )
  }

  struct Counts: Hashable, CustomStringConvertible {
    var issued = 0, stopped = 0, safe = 0, atRisk = 0, unsafe = 0, overdue = 0, never = 0
    var inspected = 0, mismatch = 0

    init() {}

    init(_ row: Safemap_Reporting_V1_SummaryRow) {
      issued = Int(row.issued)
      stopped = Int(row.stopped)
      safe = Int(row.safe)
      atRisk = Int(row.atRisk)
      unsafe = Int(row.unsafe)
      overdue = Int(row.overdue)
      never = Int(row.neverAssessed)
      inspected = Int(row.inspected)
      mismatch = Int(row.selfAssessedSafeInspectedUnsafe)
    }

    var description: String {
      "issued \(issued) stopped \(stopped) safe \(safe) atRisk \(atRisk) unsafe \(unsafe) "
        + "overdue \(overdue) never \(never) inspected \(inspected) mismatch \(mismatch)"
    }
  }
}
