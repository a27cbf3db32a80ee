import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapClient
import SafeMapCore
import SafeMapRuntime
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@Suite("Submissions without account-service")
struct AccountServiceOutageTests {
  @Test("if account-service is unreachable the submission is UNAVAILABLE and nothing is written")
  func unavailable() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let closedPort = try FreePort.find()
    let assessment = try await TestServices.start(
      .assessment,
      configuration: {
        var config = TestServices.configuration(
          .assessment,
          cluster: cluster,
          database: database,
          accountServicePort: closedPort
        )
        config.accountServiceHost = "127.0.0.1"
        return config
      }()
    )
    // Without account-service there are no published keys either: give this instance the test key.
    await assessment.host.verifier.setKeys([TestKeys.signingKey.publicKey])
    let token = try await TestKeys.metadata(
      for: Principal(
        accountID: UUID().uuidString,
        username: "f",
        role: .facility,
        provinceCode: "25",
        facilityID: UUID().uuidString.lowercased()
      )
    )
    await expectCode(.unavailable) {
      try await withLocalClient(port: assessment.port) { client in
        try await Safemap_Assessment_V1_AssessmentService.Client(wrapping: client).submitAssessment(
          .with {
            $0.requestID = "r"; $0.kind = .workplace; $0.units = [.with { $0.unitName = "A" }]
          },
          metadata: token
        )
      }
    }
    let rows = try await PostgresTesting.withClient(cluster.configuration(database: database)) {
      client,
      logger in
      try await client.query("SELECT count(*)::int FROM assessments", logger: logger).decode(
        Int.self
      ).reduce(0, +)
    }
    #expect(rows == 0)
    try await assessment.stop()
  }
}
