import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import PostgresNIO
import SafeMapAPI
import SafeMapClient
import SafeMapCore
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// The three services on one new database of the shared cluster, as a deployment runs them.
struct ReportingTestBed: Sendable {
  let account: RunningService
  let assessment: RunningService
  let reporting: RunningService
  let database: String

  static func start() async throws -> ReportingTestBed {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let (account, assessment, reporting) = try await TestServices.startAll(database: database)
    return ReportingTestBed(
      account: account,
      assessment: assessment,
      reporting: reporting,
      database: database
    )
  }

  /// Runs `sql` as the cluster's superuser: only for moving a facility's history back in time,
  /// which no RPC can do.
  func superuser(_ sql: String) async throws {
    let configuration = try await PostgresCluster.shared().configuration(database: database)
    try await PostgresTesting.withClient(configuration) { client, logger in
      _ = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }
  }

  /// The integer `sql` answers, run as the cluster's superuser: for checks of what no RPC
  /// shows directly (the counters behind the reports).
  func superuserInteger(_ sql: String) async throws -> Int {
    let configuration = try await PostgresCluster.shared().configuration(database: database)
    return try await PostgresTesting.withClient(configuration) { client, logger in
      for try await value in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        .decode(Int.self)
      {
        return value
      }
      return 0
    }
  }

  /// Issues accounts for `rows` in one batch of `province` and returns the results in order.
  func issue(
    _ rows: [Safemap_Account_V1_Facility],
    province: String,
    as caller: Metadata
  ) async throws -> [Safemap_Account_V1_IssuanceResult] {
    try await withLocalClient(port: account.port) { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client).issueFacilityAccounts(
        metadata: caller,
        requestProducer: { writer in
          try await writer.write(.with { $0.options = .with { $0.provinceCode = province } })
          for (n, facility) in rows.enumerated() {
            try await writer.write(
              .with {
                $0.row = .with {
                  $0.rowNumber = Int32(n + 1)
                  $0.facility = facility
                }
              }
            )
          }
        }
      ) { response in
        var results: [Safemap_Account_V1_IssuanceResult] = []
        for try await message in response.messages {
          if case .result(let result) = message.item { results.append(result) }
        }
        return results
      }
    }
  }

  func stop() async throws {
    try await reporting.stop()
    try await assessment.stop()
    try await account.stop()
  }
}

/// A token for a principal of `role` in `province`.
func person(_ role: Role, _ province: String, district: String = "", zone: String = "")
  -> Principal
{
  Principal(
    accountID: UUID().uuidString.lowercased(),
    username: "\(role.rawValue.lowercased())-\(province)\(district)",
    role: role,
    provinceCode: role == .ministryAdmin ? "" : province,
    districtCode: district,
    zoneID: zone
  )
}

func facilityPrincipal(_ result: Safemap_Account_V1_IssuanceResult, province: String) -> Principal {
  Principal(
    accountID: UUID().uuidString.lowercased(),
    username: result.username,
    role: .facility,
    provinceCode: province,
    facilityID: result.facilityID
  )
}

extension Date {
  var timestamp: Google_Protobuf_Timestamp { Google_Protobuf_Timestamp(date: self) }
}

extension ReportingTestBed: ServiceTestBed {
  func port(_ service: SafeMapService) -> Int? {
    switch service {
    case .account: account.port
    case .assessment: assessment.port
    case .reporting: reporting.port
    }
  }
}
