import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapClient
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// A facility's registration is dated in Vietnam's calendar (UTC+7), like every other
/// effective date, whatever time zone the database server keeps: reports compare these dates
/// with days in Vietnam. Before, it took the server's `current_date`.
@Suite("Registration dates")
struct RegistrationDateTests {
  @Test("registered and issued facilities start on today's date in Vietnam, not the server's")
  func registrationIsDatedInVietnam() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    // UTC−12 is on another calendar day than Vietnam for 19 hours of every 24.
    try await PostgresTesting.withClient(cluster.configuration(database: "postgres")) {
      client,
      logger in
      try await client.query(
        PostgresQuery(unsafeSQL: "ALTER DATABASE \"\(database)\" SET timezone TO 'Etc/GMT+12'"),
        logger: logger
      )
    }
    let account = try await TestServices.start(.account, database: database)
    defer { Task { try? await account.stop() } }
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    var vietnam = Calendar(identifier: .gregorian)
    vietnam.timeZone = TimeZone(secondsFromGMT: 7 * 3600)!
    let today = vietnam.dateComponents([.year, .month, .day], from: Date())

    let dates = try await withLocalClient(port: account.port) { client in
      let facilities = Safemap_Account_V1_FacilityService.Client(wrapping: client)
      let registered = try await facilities.registerFacility(
        .with {
          $0.requestID = UUID().uuidString
          $0.facility = .with {
            $0.name = "Công ty May Việt Trì"
            $0.taxCode = "2600100091"
            $0.districtCode = "227"
          }
        },
        metadata: officer
      ).facility
      let issued = try await facilities.issueFacilityAccounts(metadata: officer) { writer in
        try await writer.write(.with { $0.options = .with { $0.requestID = UUID().uuidString } })
        try await writer.write(
          .with {
            $0.row = .with {
              $0.rowNumber = 1
              $0.facility = .with {
                $0.name = "Công ty Giấy Phú Thọ"
                $0.taxCode = "2600100092"
                $0.districtCode = "227"
              }
            }
          }
        )
      } onResponse: { response in
        var id = ""
        for try await message in response.messages {
          if case .result(let result) = message.item { id = result.facilityID }
        }
        return id
      }
      var dates: [Safemap_Common_V1_Date] = []
      for id in [registered.facilityID, issued] {
        let history = try await facilities.getFacility(
          .with { $0.facilityID = id },
          metadata: officer
        ).operatingStatusHistory
        dates += history.map(\.effectiveDate)
      }
      return dates
    }
    #expect(dates.count == 2)
    let expected = String(format: "%04d-%02d-%02d", today.year!, today.month!, today.day!)
    for date in dates {
      let found = String(format: "%04d-%02d-%02d", date.year, date.month, date.day)
      #expect(found == expected)
    }
  }
}
