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
    let (facility, oneTime, answered, district, other) = try await withLocalClient(
      port: bed.account.port
    ) { client in
      let facilities = try await Safemap_Account_V1_FacilityService.Client(wrapping: client)
        .listFacilities(
          .with {
            $0.provinceCode = Self.province
            $0.pageSize = 1000
          },
          metadata: officer
        ).facilities
      let accounts = Safemap_Account_V1_AccountService.Client(wrapping: client)
      let listed = try await accounts.listAccounts(
        .with {
          $0.provinceCode = Self.province
          $0.role = .facility
          $0.pageSize = 1000
        },
        metadata: officer
      ).accounts
      // An active workplace-only facility on the map whose level is not unsafe yet.
      var chosen: (Safemap_Account_V1_Account, Safemap_Account_V1_Facility)?
      for account in listed.reversed() {
        guard
          let facility = facilities.first(where: {
            $0.facilityID == account.scope.facilityID && $0.operatingStatus == .active
              && $0.hasLocation && !$0.hasDormitory_p
          })
        else { continue }
        let status = try await withLocalClient(port: bed.assessment.port) { assessment in
          try await Safemap_Assessment_V1_AssessmentService.Client(wrapping: assessment)
            .getFacilityStatus(
              .with {
                $0.provinceCode = Self.province
                $0.facilityID = facility.facilityID
              },
              metadata: officer
            ).status
        }
        if status.mapLevel != .unsafe {
          chosen = (account, facility)
          break
        }
      }
      let (account, facility) = try #require(chosen)
      let reset = try await accounts.resetPassword(
        .with { $0.accountID = account.accountID },
        metadata: officer
      )
      let catalogue = try await withLocalClient(port: bed.assessment.port) { assessment in
        try await Safemap_Assessment_V1_AssessmentService.Client(wrapping: assessment)
          .getCatalogue(.with { $0.kind = .workplace }, metadata: officer).catalogue
      }
      let district = try await accounts.createAccount(
        .with {
          $0.requestID = UUID().uuidString
          $0.username = "huyen.b\(UUID().uuidString.prefix(6).lowercased())"
          $0.role = .districtOfficer
          $0.provinceCode = Self.province
          $0.districtCode = "718"
        },
        metadata: officer
      )
      let other = try #require(facilities.first { $0.districtCode != "718" })
      return (
        facility, reset.initialPassword,
        catalogue.criteria.filter { $0.profileSource == .unspecified }.count, district, other
      )
    }
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
