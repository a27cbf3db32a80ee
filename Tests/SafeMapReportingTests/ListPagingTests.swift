import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapCore
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@Suite("Paging a list while facilities write")
struct ListPagingTests {
  @Test("a list paged while facilities submit shows every row once, as of its first page")
  func pagesSurviveWrites() async throws {
    let bed = try await ReportingTestBed.start()
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    let rows = (1...6).map { n in
      Safemap_Account_V1_Facility.with {
        $0.name = "Xưởng \(n)"
        $0.taxCode = "25008000\(String(format: "%02d", n))"
        $0.districtCode = "227"
        $0.workerCount = 420
        $0.workshopAreaM2 = 2_500
      }
    }
    let issued = try await bed.issue(rows, province: "25", as: officer)
    let ids = issued.map(\.facilityID).sorted()
    let r4 = Safemap_Reporting_V1_FacilityStatusFilter.with { $0.mapLevels = [.notAssessed] }
    var seen: [String] = []
    var token = ""
    var writes = 0
    repeat {
      let page = try await bed.reports { [token] in
        try await $0.listFacilityStatuses(
          .with {
            $0.filter = r4
            $0.pageSize = 2
            $0.pageToken = token
          },
          metadata: officer
        )
      }
      #expect(page.totalSize == 6)
      seen += page.rows.map(\.facilityID)
      token = page.nextPageToken
      // Between pages, the facilities not yet listed and one already listed submit: the list
      // stays the one of its first page.
      if !token.isEmpty && writes < 2 {
        writes += 1
        let unlisted = ids.first { !seen.contains($0) }!
        for id in [unlisted, seen[0]] {
          let result = issued.first { $0.facilityID == id }!
          let facility = try await TestKeys.metadata(for: facilityPrincipal(result, province: "25"))
          try await bed.submit(.workplace, AssessmentAnswers.workplace(), as: facility)
        }
      }
    } while !token.isEmpty
    #expect(seen == ids)
    // A fresh list sees the writes.
    let fresh = try await bed.reports {
      try await $0.listFacilityStatuses(.with { $0.filter = r4 }, metadata: officer)
    }
    // Three facilities submitted (the first listed one twice).
    #expect(fresh.totalSize == 3)

    // A token is for its own list only.
    let first = try await bed.reports {
      try await $0.listFacilityStatuses(
        .with {
          $0.pageSize = 1
          $0.filter = r4
        },
        metadata: officer
      )
    }
    await expectCode(.invalidArgument, mentioning: "page_token") {
      try await bed.reports {
        try await $0.listFacilityStatuses(
          .with { $0.pageToken = first.nextPageToken },
          metadata: officer
        )
      }
    }
    try await bed.stop()
  }
}
