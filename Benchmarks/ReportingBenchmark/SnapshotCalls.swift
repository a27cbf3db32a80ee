import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapCore
import SafeMapTestSupport
import SwiftProtobuf

extension ReportingBenchmark {
  /// `calls` submissions of the largest district's report (each a snapshot of its figures,
  /// its facilities' levels and its R4/R5 rows, written with the audit row), timed one by one;
  /// the province returns each between calls, untimed, so the next may submit. The CPU figures
  /// include the returns.
  static func snapshots(
    reporting: Service,
    province: String,
    district: String,
    campaign: String
  ) async throws -> Figures {
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
    return try await withLocalClient(port: reporting.port, maximumMessageBytes: 64 << 20) {
      client in
      let reports = Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
      @Sendable func submit() async throws -> Int {
        let status = try await reports.submitUnitReport(
          .with {
            $0.provinceCode = province
            $0.campaignID = campaign
            $0.comment = "Báo cáo thử"
          },
          metadata: districtOfficer
        ).status
        return Int(status.activeFacilities)
      }
      @Sendable func giveBack() async throws {
        _ = try await reports.reviewUnitReports(
          .with {
            $0.provinceCode = province
            $0.campaignID = campaign
            $0.units = [
              .with {
                $0.kind = .district
                $0.code = district
              }
            ]
            $0.action = .return
            $0.reason = "Đo hiệu năng"
          },
          metadata: officer
        )
      }
      // A report left standing by an earlier run goes back first.
      try? await giveBack()
      for _ in 0..<3 {
        _ = try await submit()
        try await giveBack()
      }
      let latencies = Samples()
      let clock = ContinuousClock()
      let start = CPUSample.now()
      let serviceStart = ProcessCPU.seconds(reporting.pid)
      var items = 0
      for _ in 0..<calls {
        let began = clock.now
        items = try await submit()
        latencies.add((clock.now - began).seconds * 1_000)
        try await giveBack()
      }
      let service = ProcessCPU.seconds(reporting.pid) - serviceStart
      let end = CPUSample.now()
      let client = end.process - start.process
      let database = (end.machine - start.machine) - client - service
      let perCall = { (seconds: Double) in Int(seconds / Double(calls) * 1e6) }
      return Figures(
        p50: latencies.percentile(0.5),
        p99: latencies.percentile(0.99),
        items: items,
        cpu: "reporting_us=\(perCall(service)) client_us=\(perCall(client)) "
          + "postgres_and_rest_us=\(perCall(database))"
      )
    }
  }
}
