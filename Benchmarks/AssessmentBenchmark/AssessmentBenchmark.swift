import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import PostgresNIO
import SafeMapAPI
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf

/// SubmitAssessment sustained through the real gRPC stack (account-service for the profiles,
/// assessment-service, TCP) at 32 concurrent callers, one facility each; then pgbench running
/// the same SQL transaction the service runs (tenant setting, insert, status upsert) as the
/// same role at the same concurrency against the same database. Run with
/// `make bench-assessment` (a release build); the last line compares the two.
@main
enum AssessmentBenchmark {
  static let callers = 32
  static let seconds = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 10

  static func main() async throws {
    try await run()
  }

  nonisolated static func run() async throws {
    #if DEBUG
      print("warning: debug build; run `make bench-assessment` for release figures")
    #else
      print("build: release")
    #endif
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(callers) callers, \(seconds) s each")
    let managed = try await ManagedCluster.start()
    let cluster = PostgresCluster(managed: managed)
    try await cluster.createMigratedDatabase("bench")
    var accountConfig = TestServices.configuration(.account, cluster: cluster, database: "bench")
    accountConfig.database.maximumConnections = 10
    let account = try await TestServices.start(.account, configuration: accountConfig)
    var assessmentConfig = TestServices.configuration(
      .assessment, cluster: cluster, database: "bench", accountServicePort: account.port)
    assessmentConfig.database.maximumConnections = callers
    let assessment = try await TestServices.start(.assessment, configuration: assessmentConfig)

    // One facility per caller.
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    let issued = try await withLocalClient(port: account.port) { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client).issueFacilityAccounts(
        metadata: officer,
        requestProducer: { writer in
          try await writer.write(.with { $0.options = .init() })
          for n in 0..<callers {
            try await writer.write(.with {
              $0.row = .with { row in
                row.rowNumber = Int32(n + 1)
                row.facility = .with {
                  $0.name = "Bench \(n)"; $0.taxCode = String(format: "25%08d", n); $0.districtCode = "227"
                  $0.workerCount = 420; $0.workshopAreaM2 = 2500
                }
              }
            })
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
    let answers: [Safemap_Assessment_V1_Answer] = (3...15).map { n in
      .with { $0.criterionCode = "CS\(n)"; $0.optionCode = n == 3 ? "CS3.NONE" : "CS\(n).1" }
    }

    // The service.
    let transport = try HTTP2ClientTransport.Posix(
      target: .ipv4(address: "127.0.0.1", port: assessment.port), transportSecurity: .plaintext)
    let latencies = Samples()
    let serviceTPS = try await withGRPCClient(transport: transport) { client in
      let service = Safemap_Assessment_V1_AssessmentService.Client(wrapping: client)
      var tokens: [Metadata] = []
      for facility in issued {
        tokens.append(try await TestKeys.metadata(for: Principal(
          accountID: UUID().uuidString.lowercased(), username: facility.username, role: .facility,
          provinceCode: "25", facilityID: facility.facilityID)))
      }
      let frozen = tokens
      // Warm-up: profiles cached, connections open.
      for token in frozen {
        _ = try await service.submitAssessment(
          .with { $0.requestID = UUID().uuidString; $0.kind = .workplace; $0.units = [.with { $0.unitName = "A"; $0.answers = answers }] },
          metadata: token)
      }
      let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
      let start = ContinuousClock.now
      try await withThrowingTaskGroup(of: Void.self) { group in
        for caller in 0..<callers {
          group.addTask {
            while ContinuousClock.now < deadline {
              let t = ContinuousClock.now
              _ = try await service.submitAssessment(
                .with {
                  $0.requestID = UUID().uuidString; $0.kind = .workplace
                  $0.units = [.with { $0.unitName = "Xưởng"; $0.answers = answers }]
                }, metadata: frozen[caller])
              latencies.add((ContinuousClock.now - t).seconds * 1000)
            }
          }
        }
        try await group.waitForAll()
      }
      return Double(latencies.values.count) / (ContinuousClock.now - start).seconds
    }
    print(String(format: "service: submissions=%d tps=%.0f p50_ms=%.1f p99_ms=%.1f",
                 latencies.values.count, serviceTPS, latencies.percentile(0.5), latencies.percentile(0.99)))

    // pgbench: the same transaction, as the same role, one facility per client.
    let script = FileManager.default.temporaryDirectory.appendingPathComponent("submit-\(UUID().uuidString).sql").path
    try await PostgresTesting.withClient(cluster.configuration(database: "bench")) { client, logger in
      try await client.query("CREATE TABLE bench_facilities (n int PRIMARY KEY, facility_id uuid)", logger: logger)
      try await client.query("GRANT SELECT ON bench_facilities TO safemap_assessment", logger: logger)
      for (n, facility) in issued.enumerated() {
        try await client.query(
          "INSERT INTO bench_facilities VALUES (\(n), \(UUID(uuidString: facility.facilityID)!))", logger: logger)
      }
    }
    let units = #"[{"unitName":"Xưởng","answers":[],"score":17,"indexPercent":5.67,"riskLevel":"RISK_LEVEL_VERY_LOW","mapLevel":"MAP_LEVEL_SAFE"}]"#
    let top = #"[{"criterionCode":"CS1","title":"t","optionCode":"CS1.200_499","points":4,"unitName":"Xưởng"}]"#
    try """
      BEGIN;
      SELECT pg_backend_pid(), set_config('app.province', '25', true), set_config('statement_timeout', '10000', true);
      WITH f AS (SELECT facility_id FROM bench_facilities WHERE n = :client_id),
      a AS (
        INSERT INTO assessments (province_code, assessment_id, facility_id, kind, catalogue_version,
          request_id, units, score, max_points, index_percent, risk_level, map_level, top_criteria,
          submitted_by, valid_until)
        SELECT '25', gen_random_uuid(), f.facility_id, 'WORKPLACE', 1, gen_random_uuid()::text,
          '\(units)'::jsonb, 17, 300, 5.67, 'VERY_LOW', 'SAFE', '\(top)'::jsonb, gen_random_uuid(),
          now() + make_interval(days => coalesce((SELECT validity_days FROM province_settings WHERE province_code = '25'), 7))
        FROM f
        ON CONFLICT (province_code, facility_id, request_id) DO NOTHING
        RETURNING assessment_id, facility_id, submitted_at, valid_until)
      SELECT assessment_id AS aid, facility_id AS fid, submitted_at AS sat, valid_until AS vut FROM a \\gset
      INSERT INTO facility_status (province_code, facility_id, workplace_assessment_id, workplace_map_level,
        workplace_risk_level, workplace_index_percent, workplace_submitted_at, workplace_valid_until)
      VALUES ('25', :fid, :aid, 'SAFE', 'VERY_LOW', 5.67, :sat, :vut)
      ON CONFLICT (province_code, facility_id) DO UPDATE SET
        workplace_assessment_id = excluded.workplace_assessment_id, workplace_map_level = excluded.workplace_map_level,
        workplace_risk_level = excluded.workplace_risk_level, workplace_index_percent = excluded.workplace_index_percent,
        workplace_submitted_at = excluded.workplace_submitted_at, workplace_valid_until = excluded.workplace_valid_until,
        updated_at = now();
      COMMIT;
      """.write(toFile: script, atomically: true, encoding: .utf8)
    let pgbench = try ManagedCluster.findBinDirectory() + "/pgbench"
    let output = try await Shell.run(pgbench, [
      "-n", "-c", String(callers), "-j", "2", "-T", String(Int(seconds)), "-M", "prepared", "-f", script,
      "-h", "127.0.0.1", "-p", String(managed.port), "-U", "safemap_assessment", "bench",
    ])
    try? FileManager.default.removeItem(atPath: script)
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
      let pgbenchTPS = Double(line.dropFirst(6).prefix(while: { $0 != " " }))
    else { throw Shell.Failure(description: "pgbench printed no tps:\n\(output)") }
    print(String(format: "pgbench: tps=%.0f (%@)", pgbenchTPS, String(line)))

    try await assessment.stop()
    try await account.stop()
    await managed.destroy()
    print(String(format: "submit: service_tps=%.0f pgbench_tps=%.0f ratio=%.2f",
                 serviceTPS, pgbenchTPS, serviceTPS / pgbenchTPS))
  }
}
