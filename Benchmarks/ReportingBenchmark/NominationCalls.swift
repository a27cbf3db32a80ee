import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapCore
import SafeMapTestSupport
import SwiftProtobuf

extension ReportingBenchmark {
  /// Rows in one nomination sheet and facilities in one hand-out: each call's maximum.
  static let sheetRows = 1_000

  /// Account-service's two bulk writes of the loop, at the largest district of the data set
  /// (issue 21): `rounds` sheets of 1,000 nominations (each row checked against the district's
  /// registry and its names), the province rejecting each sheet afterwards (untimed) so the data
  /// set keeps no open nomination; then `rounds` reissues of 1,000 of the district's facility
  /// credentials (a new one-time password each, one audit row each).
  static func nominations(
    account: Service,
    province: String,
    district: String,
    rounds: Int
  ) async throws -> (nominate: Figures, handOut: Figures) {
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer(province))
    let districtOfficer = try await TestKeys.metadata(
      for: Principal(
        accountID: UUID().uuidString.lowercased(),
        username: "district-\(district)",
        role: .districtOfficer,
        provinceCode: province,
        districtCode: district
      )
    )
    return try await withLocalClient(port: account.port, maximumMessageBytes: 64 << 20) {
      client in
      let nominations = Safemap_Account_V1_NominationService.Client(wrapping: client)
      let credentials = Safemap_Account_V1_CredentialService.Client(wrapping: client)
      @Sendable func sheet(_ round: Int) -> [Safemap_Account_V1_NominationRow] {
        (0..<sheetRows).map { n in
          .with {
            $0.rowNumber = Int32(n + 2)
            $0.facility = .with {
              $0.name = "Hộ kinh doanh Minh \(round)-\(n)"
              $0.taxCode = String(format: "99%02d%06d", round % 100, n)
              $0.districtCode = district
              $0.workerCount = 20
            }
          }
        }
      }
      @Sendable func nominate(_ round: Int) async throws -> Int {
        let response = try await nominations.nominateFacilities(
          .with {
            $0.provinceCode = province
            $0.rows = sheet(round)
          },
          metadata: districtOfficer
        )
        return Int(response.nominated + response.alreadyNominated)
      }
      @Sendable func reject(_ round: Int) async throws {
        let listed = try await nominations.listNominations(
          .with {
            $0.provinceCode = province
            $0.state = .submitted
            $0.pageSize = 1000
          },
          metadata: officer
        ).nominations.map(\.nominationID)
        for start in stride(from: 0, to: listed.count, by: 500) {
          _ = try await nominations.reviewNominations(
            .with {
              $0.provinceCode = province
              $0.nominationIds = Array(listed[start..<min(listed.count, start + 500)])
              $0.action = .reject
              $0.reason = "Đo hiệu năng"
            },
            metadata: officer
          )
        }
      }
      // Nominations a run broke off left open go first.
      try await reject(0)
      let nominate = try await measured(rounds, process: account.pid) { round in
        let count = try await nominate(round)
        try await reject(round)
        return count
      }
      let handed = try await credentials.listFacilityCredentials(
        .with {
          $0.provinceCode = province
          $0.unit = .with {
            $0.kind = .district
            $0.code = district
          }
          $0.notActivated = true
          $0.pageSize = Int32(sheetRows)
        },
        metadata: officer
      ).credentials.filter { $0.status != .awaitingHandOut }.map(\.facilityID)
      let handOut = try await measured(rounds, process: account.pid) { _ in
        try await credentials.handOutCredentials(
          .with {
            $0.provinceCode = province
            $0.facilityIds = handed
            $0.method = .sheet
            $0.reissue = true
          },
          metadata: districtOfficer
        ).credentials.count
      }
      return (nominate, handOut)
    }
  }

  /// `rounds` calls of `call`, each timed (what it does after its timed part is in the CPU
  /// figures), with the CPU of `process`, of this client and of the rest of the machine.
  private static func measured(
    _ rounds: Int,
    process: pid_t,
    _ call: (Int) async throws -> Int
  ) async throws -> Figures {
    let latencies = Samples()
    let clock = ContinuousClock()
    let start = CPUSample.now()
    let serviceStart = ProcessCPU.seconds(process)
    var items = 0
    for round in 0..<rounds {
      let began = clock.now
      items = try await call(round)
      latencies.add((clock.now - began).seconds * 1_000)
    }
    let service = ProcessCPU.seconds(process) - serviceStart
    let end = CPUSample.now()
    let client = end.process - start.process
    let database = (end.machine - start.machine) - client - service
    let perCall = { (seconds: Double) in Int(seconds / Double(rounds) * 1e6) }
    return Figures(
      p50: latencies.percentile(0.5),
      p99: latencies.percentile(0.99),
      items: items,
      cpu: "account_us=\(perCall(service)) client_us=\(perCall(client)) "
        + "postgres_and_rest_us=\(perCall(database))"
    )
  }
}
