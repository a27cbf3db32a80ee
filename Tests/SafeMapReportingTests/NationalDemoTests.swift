import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapCore
import SafeMapDemo
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// `make run`'s national demo, loaded small through the three running services: every
/// province on the map, every level, overdue, never assessed, stopped and inspected
/// facilities, weeks of history in the trend, a campaign per province, and a province officer
/// who can sign in with the password it was given.
@Suite("The national demo")
struct NationalDemoTests {
  @Test("a small national demo covers every province and every kind of facility the reports count")
  func smallNationalDemo() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    var environment = TestKeys.environment
    environment["SAFEMAP_BOOTSTRAP_ADMIN"] = "admin"
    environment["SAFEMAP_BOOTSTRAP_PASSWORD"] = "Bộ-Công-Thương-2021"
    let (account, assessment, reporting) = try await TestServices.startAll(
      database: database,
      environment: environment
    )
    var configuration = NationalDemo.Configuration(
      adminUsername: "admin",
      adminPassword: "Bộ-Công-Thương-2021",
      signingKeys: [TestKeys.signingKey],
      officerPassword: "Bình-Dương-2021!"
    )
    configuration.facilities = 400
    configuration.weeks = 3
    configuration.accountPort = account.port
    configuration.assessmentPort = assessment.port
    configuration.reportingPort = reporting.port
    let demo = configuration
    let outcome = try await PostgresTesting.withClient(cluster.configuration(database: database)) {
      owner,
      logger in
      #expect(try await NationalDemo.isLoaded(owner: owner, logger: logger) == false)
      let outcome = try await NationalDemo(configuration: demo, logger: logger).load(owner: owner) {
        _ in
      }
      #expect(try await NationalDemo.isLoaded(owner: owner, logger: logger))
      return outcome
    }
    #expect(outcome.provinces == 63)
    #expect(outcome.facilities == 400)
    #expect(outcome.campaigns == 63)
    #expect(outcome.suspended > 0 && outcome.inspections > 0, "\(outcome)")
    #expect(Set(outcome.levels.keys) == ["safe", "at risk", "unsafe"], "\(outcome.levels)")

    let ministry = try await TestKeys.metadata(for: TestPrincipals.ministry)
    let national = try await withLocalClient(port: reporting.port) { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .getNationalSummary(.init(), metadata: ministry)
    }
    let total = national.total
    #expect(national.rows.count == 63)
    #expect(national.rows.allSatisfy { $0.issued > 0 }, "every province has facilities")
    #expect(total.issued == 400)
    #expect(total.stopped > 0 && total.issued == total.stopped + total.active)
    #expect(total.assessed + total.overdue + total.neverAssessed == total.active)
    #expect(total.safe > 0 && total.atRisk > 0 && total.unsafe > 0)
    #expect(total.overdue > 0, "some stopped assessing weeks ago")
    #expect(total.neverAssessed > 0)
    #expect(total.inspected > 0)

    // The history lies over the weeks, not all at this instant.
    let trend = try await withLocalClient(port: reporting.port) { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client).getTrend(
        .with {
          $0.startTime = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(-21 * 86_400))
          $0.endTime = Google_Protobuf_Timestamp(date: Date())
          $0.interval = .week
        },
        metadata: ministry
      )
    }
    #expect(trend.points.filter { $0.submissions > 0 }.count >= 3, "\(trend.points)")

    // The featured province's officer signs in with the password the demo gave it, and sees
    // its campaign.
    let officer = try await withLocalClient(port: account.port) { client in
      try await Safemap_Account_V1_AccountService.Client(wrapping: client).login(
        .with {
          $0.username = "officer.74"
          $0.password = "Bình-Dương-2021!"
        }
      )
    }
    #expect(!officer.passwordChangeRequired)
    let campaigns = try await withLocalClient(port: reporting.port) { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client).listCampaigns(
        .init(),
        metadata: ["authorization": "Bearer \(officer.tokens.accessToken)"]
      )
    }
    #expect(campaigns.campaigns.count == 1)
    for service in [account, assessment, reporting] { try await service.stop() }
  }
}
