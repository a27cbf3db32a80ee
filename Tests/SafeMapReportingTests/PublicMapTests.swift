import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// `GetPublicMap` over gRPC, without a token, against the scenario's known states: every
/// active located facility of the province once, at its level now, with the public fields only.
@Suite("GetPublicMap")
struct PublicMapTests {
  static func publicMap(
    _ world: ReportScenario,
    province: String,
    levels: [Safemap_Common_V1_MapLevel] = []
  ) async throws -> Safemap_Reporting_V1_GetPublicMapResponse {
    try await world.bed.reports {
      try await $0.getPublicMap(
        .with {
          $0.provinceCode = province
          $0.mapLevels = levels
        }
      )
    }
  }

  /// The scenario's facilities that are active now, by the name the scenario gives them.
  static func activeNow() -> [String: Safemap_Common_V1_MapLevel] {
    var levels: [String: Safemap_Common_V1_MapLevel] = [:]
    for (key, state) in ReportScenario.expected[.now]! {
      if case .active(let level, _, _) = state { levels["Công ty \(key)"] = level.message }
    }
    return levels
  }

  @Test("anyone sees every active located facility once, at its level now, by district")
  func wholeProvince() async throws {
    let world = try await ReportScenario.shared.value
    let map = try await Self.publicMap(world, province: "25")
    let expected = Self.activeNow()
    #expect(!map.truncated)
    #expect(map.points.count == expected.count)
    #expect(Set(map.points.map(\.name)) == Set(expected.keys))
    for point in map.points {
      #expect(point.mapLevel == expected[point.name], "\(point.name)")
      let spec = ReportScenario.specs.first { "Công ty \($0.key)" == point.name }
      #expect(point.districtCode == spec?.district)
      #expect(abs(point.location.latitude - (spec?.latitude ?? 0)) < 1e-9)
      // A level that rests on an assessment carries its day; one that rests on none does not.
      #expect(point.lastAssessmentDate.isEmpty == (point.mapLevel == .notAssessed))
    }
    // The legend counts every active located facility by district, whatever the filter.
    let counted = map.districtCounts.reduce(0) {
      $0 + Int($1.safe + $1.atRisk + $1.unsafe + $1.notAssessed + $1.overdue)
    }
    #expect(counted == expected.count)
    let viet = map.districtCounts.first { $0.districtCode == "227" }
    #expect(viet?.districtName.isEmpty == false)
    #expect(
      viet.map { [$0.safe, $0.atRisk, $0.unsafe, $0.notAssessed, $0.overdue] } == [1, 1, 1, 0, 1]
    )
    #expect(map.hasAsOfTime)
  }

  @Test("a level filter narrows the points and leaves the legend whole")
  func filtered() async throws {
    let world = try await ReportScenario.shared.value
    let whole = try await Self.publicMap(world, province: "25")
    let unsafe = try await Self.publicMap(world, province: "25", levels: [.unsafe])
    let expected = Self.activeNow().filter { $0.value == .unsafe }.keys
    #expect(Set(unsafe.points.map(\.name)) == Set(expected))
    #expect(unsafe.points.allSatisfy { $0.mapLevel == .unsafe })
    #expect(unsafe.districtCounts == whole.districtCounts)
  }

  @Test("another province's map holds only its own facilities")
  func otherProvince() async throws {
    let world = try await ReportScenario.shared.value
    let map = try await Self.publicMap(world, province: "70")
    #expect(map.points.allSatisfy { !Self.activeNow().keys.contains($0.name) })
    #expect(map.districtCounts.allSatisfy { $0.districtCode.hasPrefix("6") })
  }

  @Test("a missing or unknown province is INVALID_ARGUMENT naming province_code")
  func badProvince() async throws {
    let world = try await ReportScenario.shared.value
    for province in ["", "99", "2' OR '1'='1", String(repeating: "7", count: 300)] {
      await expectCode(.invalidArgument, mentioning: "province_code") {
        _ = try await Self.publicMap(world, province: province)
      }
    }
  }
}
