import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapTestSupport
import SwiftProtobuf
import Testing

extension WebServiceTests {
  /// Where the browser tests leave their screenshots (inside .build: never committed).
  static let screenshots = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent(".build/browser-screenshots")

  @Test(
    "in Chromium: the map's points, a facility's assessment turning its point red, R1, R4 as CSV, refusals"
  )
  func inBrowser() async throws {
    let bed = try await WebTestBed.shared.value
    let officer = try await bed.token(WebTestBed.officer, WebTestBed.officerPassword)
    let total = try await Self.summary(bed).total
    let (facility, oneTime, catalogue) = try await bed.facilityToAssess(officer)
    let answered = catalogue.criteria.filter { $0.profileSource == .unspecified }.count
    let district = try await bed.newDistrictOfficer(officer)
    let other = try #require(try await bed.facilities(officer).first { $0.districtCode != "718" })
    let expected: [String: Any] = [
      "map_points": Int(total.active),
      "map_levels": [
        "SAFE": Int(total.safe), "AT_RISK": Int(total.atRisk), "UNSAFE": Int(total.unsafe),
        "OVERDUE": Int(total.overdue), "NOT_ASSESSED": Int(total.neverAssessed),
      ],
      "r1_total": [
        total.issued, total.stopped, total.active, total.assessed, total.safe, total.atRisk,
        total.unsafe, total.overdue, total.neverAssessed,
      ].map { Int($0) },
      "r4_count": Int(total.overdue + total.neverAssessed),
      "facility": [
        "username": facility.username, "password": oneTime, "name": facility.name,
        "latitude": facility.location.latitude, "longitude": facility.location.longitude,
        "answered_criteria": answered,
      ],
      "officer": ["username": WebTestBed.officer, "password": WebTestBed.officerPassword],
      "district_officer": [
        "username": district.account.username, "password": district.initialPassword,
        "other_facility": other.facilityID, "other_tax_code": other.taxCode,
      ],
    ]
    let json = String(decoding: try JSONSerialization.data(withJSONObject: expected), as: UTF8.self)
    let downloads = FileManager.default.temporaryDirectory
      .appendingPathComponent("safemap-downloads-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.removeItem(at: Self.screenshots)
    let result = try await PythonCheck.run(
      "Browser/browser_tests.py",
      [
        "--url", "http://127.0.0.1:\(bed.webPort)", "--expected", json,
        "--screenshots", Self.screenshots.path, "--downloads", downloads.path,
      ]
    )
    #expect(result["ok"] as? Bool == true, "\(result)")
    #expect((result["screenshots"] as? [String])?.count == 28, "14 pages at 1280 and 360 px")
  }
}
