import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import PostgresNIO
import SafeMapAPI
import SafeMapClient
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// assessment-service next to the account-service whose keys it trusts.
struct AssessmentTestBed: Sendable {
  let account: RunningService
  let assessment: RunningService
  /// The database both use, on the shared cluster.
  let database: String

  /// Both services on a new database of the shared cluster. `databaseConnections` caps
  /// assessment-service's pool (1 makes every call share one connection).
  static func start(databaseConnections: Int? = nil) async throws -> AssessmentTestBed {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let account = try await TestServices.start(.account, database: database)
    var config = TestServices.configuration(
      .assessment,
      cluster: cluster,
      database: database,
      accountServicePort: account.port
    )
    if let databaseConnections { config.database.maximumConnections = databaseConnections }
    let assessment = try await TestServices.start(.assessment, configuration: config)
    return AssessmentTestBed(account: account, assessment: assessment, database: database)
  }

  /// Runs `sql` as the cluster's superuser: for moving time forward, which no RPC can do.
  func superuser(_ sql: String) async throws {
    let configuration = try await PostgresCluster.shared().configuration(database: database)
    try await PostgresTesting.withClient(configuration) { client, logger in
      _ = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }
  }

  /// A facility of Việt Trì (25/227), registered by a province officer, and a token for it.
  func registerFacility(
    taxCode: String,
    residents: Int32 = 0
  ) async throws -> (facility: Safemap_Account_V1_Facility, token: Metadata) {
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    let facility = try await facilities {
      try await $0.registerFacility(
        .with {
          $0.facility = .with {
            $0.name = "Công ty \(taxCode)"
            $0.taxCode = taxCode
            $0.districtCode = "227"
            $0.workerCount = 420
            $0.workshopAreaM2 = 2_500
            $0.hasDormitory_p = residents > 0
            $0.dormitoryResidents = residents
          }
        },
        metadata: officer
      )
    }.facility
    let token = try await TestKeys.metadata(
      for: Principal(
        accountID: UUID().uuidString.lowercased(),
        username: taxCode,
        role: .facility,
        provinceCode: "25",
        facilityID: facility.facilityID
      )
    )
    return (facility, token)
  }

}

extension AssessmentTestBed: ServiceTestBed {
  func port(_ service: SafeMapService) -> Int? {
    switch service {
    case .account: account.port
    case .assessment: assessment.port
    case .reporting: nil
    }
  }
}
