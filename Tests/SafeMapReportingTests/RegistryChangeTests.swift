import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapCore
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@Suite("Registry changes reach the reports")
struct RegistryChangeTests {
  @Test("a facility moved to another district and zone, or suspended, is counted there at once")
  func movedFacility() async throws {
    let bed = try await ReportingTestBed.start()
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    let zone = try await bed.facilities {
      try await $0.createZone(
        .with {
          $0.zone = .with {
            $0.name = "KCN Trung Hà"
            $0.zoneType = .industrialZone
            $0.districtCode = "230"
          }
        },
        metadata: officer
      )
    }.zone
    let issued = try await bed.issue(
      [
        .with {
          $0.name = "Xưởng chuyển"
          $0.taxCode = "2500700001"
          $0.districtCode = "227"
          $0.workerCount = 420
          $0.workshopAreaM2 = 2_500
        }
      ],
      province: "25",
      as: officer
    )
    let id = issued[0].facilityID
    @Sendable func districts() async throws -> [String: Int32] {
      let summary = try await bed.reports {
        try await $0.getProvinceSummary(.with { $0.grouping = .district }, metadata: officer)
      }
      return Dictionary(uniqueKeysWithValues: summary.rows.map { ($0.groupKey, $0.issued) })
    }
    #expect(try await districts()["227"] == 1)
    _ = try await bed.facilities {
      try await $0.updateFacility(
        .with {
          $0.facility = .with {
            $0.facilityID = id
            $0.districtCode = "230"
            $0.zoneID = zone.zoneID
          }
          $0.updateMask = .with { $0.paths = ["district_code", "zone_id"] }
        },
        metadata: officer
      )
    }
    let moved = try await districts()
    #expect(moved["227"] == 0 && moved["230"] == 1)
    let inside = try await bed.reports {
      try await $0.getProvinceSummary(.with { $0.grouping = .zoneLocation }, metadata: officer)
    }
    #expect(inside.rows.first { $0.groupKey == "INSIDE" }?.issued == 1)
    _ = try await bed.facilities {
      try await $0.setOperatingStatus(
        .with {
          $0.facilityID = id
          $0.status = .suspended
          $0.reason = "Tạm dừng"
        },
        metadata: officer
      )
    }
    let total = try await bed.reports {
      try await $0.getProvinceSummary(.init(), metadata: officer)
    }.total
    #expect(total.issued == 1 && total.stopped == 1 && total.active == 0)
    try await bed.stop()
  }

  @Test("a renamed facility shows its new name on the map at once")
  func renamedFacility() async throws {
    let bed = try await ReportingTestBed.start()
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    let issued = try await bed.issue(
      [
        .with {
          $0.name = "Xưởng cũ"
          $0.taxCode = "2500700002"
          $0.districtCode = "227"
          $0.workerCount = 120
          $0.workshopAreaM2 = 900
          $0.location = .with {
            $0.latitude = 21.30
            $0.longitude = 105.40
          }
        }
      ],
      province: "25",
      as: officer
    )
    @Sendable func names() async throws -> [String] {
      try await bed.reports {
        try await $0.getMapLayer(.init(), metadata: officer)
      }.points.map(\.name)
    }
    #expect(try await names() == ["Xưởng cũ"])
    _ = try await bed.facilities {
      try await $0.updateFacility(
        .with {
          $0.facility = .with {
            $0.facilityID = issued[0].facilityID
            // Separators of the points' text (``MapPointText``) inside a name.
            $0.name = "Xưởng May 2: Việt Trì, Phú Thọ"
          }
          $0.updateMask = .with { $0.paths = ["name"] }
        },
        metadata: officer
      )
    }
    #expect(try await names() == ["Xưởng May 2: Việt Trì, Phú Thọ"])
    let point = try await bed.reports {
      try await $0.getMapLayer(.init(), metadata: officer)
    }.points.first
    #expect(point?.location.latitude == 21.30 && point?.location.longitude == 105.40)
    #expect(point?.facilityID == issued[0].facilityID && point?.color == "grey")
    try await bed.stop()
  }

  @Test("a suspension effective tomorrow leaves today's trend point counting the facility")
  func suspensionAheadInTheTrend() async throws {
    let bed = try await ReportingTestBed.start()
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    let issued = try await bed.issue(
      [
        .with {
          $0.name = "Xưởng tạm dừng"
          $0.taxCode = "2500700003"
          $0.districtCode = "227"
          $0.workerCount = 120
          $0.workshopAreaM2 = 900
        }
      ],
      province: "25",
      as: officer
    )
    // Tomorrow in Vietnam (UTC+7).
    let tomorrow = Date().addingTimeInterval(7 * 3_600 + 86_400)
    let day = Calendar(identifier: .gregorian).dateComponents(
      in: TimeZone(identifier: "UTC")!,
      from: tomorrow
    )
    _ = try await bed.facilities {
      try await $0.setOperatingStatus(
        .with {
          $0.facilityID = issued[0].facilityID
          $0.status = .suspended
          $0.reason = "Tạm dừng từ ngày mai"
          $0.effectiveDate = .with {
            $0.year = Int32(day.year!)
            $0.month = Int32(day.month!)
            $0.day = Int32(day.day!)
          }
        },
        metadata: officer
      )
    }
    let now = Date()
    let points = try await bed.reports {
      try await $0.getTrend(
        .with {
          $0.startTime = Google_Protobuf_Timestamp(date: now.addingTimeInterval(-86_400))
          $0.endTime = Google_Protobuf_Timestamp(date: now)
          $0.interval = .day
        },
        metadata: officer
      )
    }.points
    #expect(points.last?.notAssessed == 1)
    try await bed.stop()
  }
}
