import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapCore
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// Every RPC of ReportingService against every kind of caller (docs/domain.md), on the scenario's
/// province. Requests name Phú Thọ (25), as a client acting on it would; a district officer of
/// Việt Trì (227) and the zone officer of KCN Thụy Vân must get only their part, whatever they
/// ask for.
@Suite("Scope of every ReportingService RPC")
struct ReportScopeTests {
  enum Caller: String, CaseIterable, Sendable {
    case ministry, officer25, officer70, district227, zone, inspector25, facility
  }

  enum Outcome: Sendable, Equatable {
    case ok
    case denied
  }

  static func tokens(_ world: ReportScenario) async throws -> [Caller: Metadata] {
    let principals: [Caller: Principal] = [
      .ministry: TestPrincipals.ministry,
      .officer25: TestPrincipals.provinceOfficer("25"),
      .officer70: TestPrincipals.provinceOfficer("70"),
      .district227: person(.districtOfficer, "25", district: "227"),
      .zone: person(.zoneOfficer, "25", zone: world.zones["KCN"]!),
      .inspector25: TestPrincipals.healthInspector("25"),
      .facility: Principal(
        accountID: UUID().uuidString.lowercased(),
        username: "2500900001",
        role: .facility,
        provinceCode: "25",
        facilityID: world.ids["A1"]!
      ),
    ]
    var tokens: [Caller: Metadata] = [:]
    for (caller, principal) in principals {
      tokens[caller] = try await TestKeys.metadata(for: principal)
    }
    return tokens
  }

  /// Who may read a province's reports: every official of it and the ministry.
  static func reader(_ caller: Caller) -> Outcome {
    [.ministry, .officer25, .district227, .zone, .inspector25].contains(caller) ? .ok : .denied
  }

  static func check<R: Sendable>(
    _ caller: Caller,
    _ expected: Outcome,
    _ rpc: String,
    _ body: @escaping @Sendable () async throws -> R
  ) async throws -> R? {
    switch expected {
    case .ok:
      do {
        return try await body()
      } catch {
        Issue.record("\(rpc) as \(caller): \(error)")
        return nil
      }
    case .denied:
      await expectCode(.permissionDenied) { try await body() }
      return nil
    }
  }

  @Test("every RPC, every caller", arguments: Caller.allCases)
  func matrix(_ caller: Caller) async throws {
    let world = try await ReportScenario.shared.value
    let tokens = try await Self.tokens(world)
    let token = tokens[caller]!
    let bed = world.bed
    let reader = Self.reader(caller)
    let inside227 = ["A1", "A2", "A3", "A4"].map { world.ids[$0]! }
    let insideZone = ["A1", "A2"].map { world.ids[$0]! }

    // Summaries: a district officer asking for every district gets its own; the zone officer
    // its zone, even when asking for another district.
    let districts = try await Self.check(caller, reader, "GetProvinceSummary") {
      try await bed.reports {
        try await $0.getProvinceSummary(
          .with {
            $0.provinceCode = "25"
            $0.grouping = .district
            if caller == .zone { $0.provinceCode = "" }
          },
          metadata: token
        )
      }
    }
    if let districts {
      switch caller {
      case .district227:
        #expect(districts.rows.map(\.groupKey) == ["227"])
        #expect(districts.total.issued == 4)
      case .zone:
        #expect(districts.rows.map(\.groupKey) == ["227"])
        #expect(districts.total.issued == 2)
      default:
        #expect(districts.rows.count == 13 && districts.total.issued == 8)
      }
    }
    let zones = try await Self.check(caller, reader, "GetProvinceSummary(zone)") {
      try await bed.reports {
        try await $0.getProvinceSummary(
          .with {
            $0.provinceCode = "25"
            $0.grouping = .zone
          },
          metadata: token
        )
      }
    }
    if let zones, caller == .district227 || caller == .zone {
      #expect(zones.rows.map(\.groupKey) == [world.zones["KCN"]!])
    }

    _ = try await Self.check(caller, caller == .ministry ? .ok : .denied, "GetNationalSummary") {
      try await bed.reports { try await $0.getNationalSummary(.init(), metadata: token) }
    }

    let listed = try await Self.check(caller, reader, "ListFacilityStatuses") {
      try await bed.reports {
        try await $0.listFacilityStatuses(
          .with {
            $0.provinceCode = "25"
            $0.filter = .with { $0.districtCode = caller == .district227 ? "228" : "" }
          },
          metadata: token
        )
      }
    }
    if let listed {
      let ids = Set(listed.rows.map(\.facilityID))
      switch caller {
      case .district227: #expect(ids == Set(inside227))
      case .zone: #expect(ids == Set(insideZone))
      default: #expect(ids.count == 7)
      }
    }
    let exported = try await Self.check(caller, reader, "ExportFacilityStatuses") {
      try await bed.reports {
        try await $0.exportFacilityStatuses(.with { $0.provinceCode = "25" }, metadata: token) {
          var ids: [String] = []
          for try await message in $0.messages { ids.append(message.row.facilityID) }
          return ids
        }
      }
    }
    if let exported, let listed { #expect(exported == listed.rows.map(\.facilityID)) }

    let map = try await Self.check(caller, reader, "GetMapLayer") {
      try await bed.reports {
        try await $0.getMapLayer(.with { $0.provinceCode = "25" }, metadata: token)
      }
    }
    if let map {
      switch caller {
      case .district227:
        #expect(Set(map.points.map(\.facilityID)) == Set(inside227))
        #expect(map.districtCounts.map(\.districtCode) == ["227"])
      case .zone: #expect(Set(map.points.map(\.facilityID)) == Set(insideZone))
      default: #expect(map.points.count == 7)
      }
    }

    let deadline = Date().addingTimeInterval(86_400).timestamp
    let created = try await Self.check(
      caller,
      caller == .officer25 ? .ok : .denied,
      "CreateCampaign"
    ) {
      try await bed.reports {
        try await $0.createCampaign(
          .with {
            $0.campaign = .with {
              $0.provinceCode = "25"
              $0.title = "Đợt kiểm tra của \(caller.rawValue)"
              $0.deadline = deadline
              $0.districtCode = "228"
            }
          },
          metadata: token
        )
      }
    }
    #expect((created != nil) == (caller == .officer25))

    let campaigns = try await Self.check(caller, reader, "ListCampaigns") {
      try await bed.reports {
        try await $0.listCampaigns(
          .with {
            $0.provinceCode = "25"
            $0.includePast = true
          },
          metadata: token
        )
      }
    }
    if let campaigns {
      #expect(campaigns.campaigns.contains { $0.campaignID == world.campaign.campaignID })
      // District 228's campaigns are not for Việt Trì's officers.
      if caller == .district227 || caller == .zone {
        #expect(campaigns.campaigns.allSatisfy { $0.districtCode != "228" })
      }
    }

    let progress = try await Self.check(caller, reader, "GetCampaignProgress") {
      try await bed.reports {
        try await $0.getCampaignProgress(
          .with {
            $0.provinceCode = "25"
            $0.campaignID = world.campaign.campaignID
          },
          metadata: token
        )
      }
    }
    if let progress, caller == .district227 {
      #expect(progress.byDistrict.map(\.groupKey) == ["227"])
      #expect(progress.total.active == 4)
    }

    let now = Date()
    let trend = try await Self.check(caller, reader, "GetTrend") {
      try await bed.reports {
        try await $0.getTrend(
          .with {
            $0.provinceCode = "25"
            $0.startTime = now.addingTimeInterval(-86_400).timestamp
            $0.endTime = now.timestamp
          },
          metadata: token
        )
      }
    }
    if let trend, caller == .zone {
      let last = trend.points.last!
      #expect(last.safe + last.atRisk + last.unsafe + last.overdue + last.notAssessed == 2)
    }
    // Without a province: national for the ministry, the caller's own part for officials.
    let unnamed = try await Self.check(caller, caller == .facility ? .denied : .ok, "GetTrend()") {
      try await bed.reports {
        try await $0.getTrend(
          .with {
            $0.startTime = now.addingTimeInterval(-86_400).timestamp
            $0.endTime = now.timestamp
          },
          metadata: token
        )
      }
    }
    if let unnamed, let last = unnamed.points.last {
      let counted = last.safe + last.atRisk + last.unsafe + last.overdue + last.notAssessed
      switch caller {
      case .ministry: #expect(counted == 8)  // 7 active in 25, 1 in 70
      case .officer70: #expect(counted == 1)
      case .zone: #expect(counted == 2)
      case .district227: #expect(counted == 4)
      default: #expect(counted == 7)
      }
    }
  }

  @Test("no token is UNAUTHENTICATED; the ministry must name a province for R1")
  func unauthenticatedAndMissingProvince() async throws {
    let world = try await ReportScenario.shared.value
    await expectCode(.unauthenticated) {
      try await world.bed.reports { try await $0.getNationalSummary(.init()) }
    }
    let ministry = try await TestKeys.metadata(for: TestPrincipals.ministry)
    await expectCode(.invalidArgument, mentioning: "province_code") {
      try await world.bed.reports { try await $0.getProvinceSummary(.init(), metadata: ministry) }
    }
    await expectCode(.invalidArgument, mentioning: "page_token") {
      try await world.bed.reports {
        try await $0.listFacilityStatuses(
          .with {
            $0.provinceCode = "25"
            $0.pageToken = "bm90LWEtdG9rZW4"
          },
          metadata: ministry
        )
      }
    }
  }
}
