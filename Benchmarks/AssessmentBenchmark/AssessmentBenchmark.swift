import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import PostgresNIO
import SafeMapAPI
import SafeMapAssessment
import SafeMapClient
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf

/// SubmitAssessment sustained through the real gRPC stack (account-service for the profiles,
/// assessment-service, TCP) at 32 concurrent callers, one facility each; then pgbench running
/// the same SQL transaction the service runs, as the same role, at the same concurrency,
/// against the same database.
///
/// pgbench's script is built from the service's own statements (``TenantSetting`` and
/// ``SubmissionStatements``), `$n` replaced by pgbench variables, so the two sides cannot drift
/// apart. Run with `make bench-assessment` (a release build); the last line compares the two.
@main
enum AssessmentBenchmark {
  static let callers = 32
  static let seconds = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 10

  static func main() async throws {
    try await run()
  }

  /// Off the main actor: the load runs in concurrent tasks.
  nonisolated static func run() async throws {
    #if DEBUG
      print("warning: debug build; run `make bench-assessment` for release figures")
    #else
      print("build: release")
    #endif
    print(
      "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(callers) callers, "
        + "\(seconds) s each"
    )
    let managed = try await ManagedCluster.start()
    let cluster = PostgresCluster(managed: managed)
    try await cluster.createMigratedDatabase("bench")
    var accountConfig = TestServices.configuration(.account, cluster: cluster, database: "bench")
    accountConfig.database.maximumConnections = 10
    let account = try await TestServices.start(.account, configuration: accountConfig)
    var assessmentConfig = TestServices.configuration(
      .assessment,
      cluster: cluster,
      database: "bench",
      accountServicePort: account.port
    )
    assessmentConfig.database.maximumConnections = callers
    let assessment = try await TestServices.start(.assessment, configuration: assessmentConfig)

    let floor = try await measureBareRPC(port: assessment.port)
    print(
      String(format: "grpc floor: health_check_rps=%.0f (an RPC with no work) ", floor.rate)
        + floor.cpu
    )
    let facilities = try await issueFacilities(count: callers, accountPort: account.port)
    let service = try await measureService(facilities, port: assessment.port)
    print(
      String(
        format: "service: submissions=%d tps=%.0f p50_ms=%.1f p99_ms=%.1f ",
        service.count,
        service.tps,
        service.p50,
        service.p99
      ) + service.cpu
    )
    try await assessment.stop()
    try await account.stop()

    let pgbench = try await measurePgbench(facilities, cluster: cluster, port: managed.port)
    await managed.destroy()
    print(
      String(
        format: "submit: service_tps=%.0f pgbench_tps=%.0f ratio=%.2f",
        service.tps,
        pgbench,
        service.tps / pgbench
      )
    )
  }

  /// Every criterion the facility answers itself (CS1 and CS2 come from the profile).
  static let answers: [Safemap_Assessment_V1_Answer] = (3...15).map { n in
    .with {
      $0.criterionCode = "CS\(n)"
      $0.optionCode = n == 3 ? "CS3.NONE" : "CS\(n).1"
    }
  }

  /// One located facility per caller, issued in Phú Thọ through account-service.
  static func issueFacilities(
    count: Int,
    accountPort: Int
  ) async throws -> [Safemap_Account_V1_IssuanceResult] {
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    return try await withLocalClient(port: accountPort) { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client).issueFacilityAccounts(
        metadata: officer,
        requestProducer: { writer in
          try await writer.write(.with { $0.options = .init() })
          for n in 0..<count {
            try await writer.write(
              .with {
                $0.row = .with { row in
                  row.rowNumber = Int32(n + 1)
                  row.facility = .with {
                    $0.name = "Bench \(n)"
                    $0.taxCode = String(format: "25%08d", n)
                    $0.districtCode = "227"
                    $0.workerCount = 420
                    $0.workshopAreaM2 = 2500
                    // Located, as facilities on the map are: every map index takes each write.
                    $0.location = .with {
                      $0.latitude = 21.3 + Double(n) * 0.001
                      $0.longitude = 105.4
                    }
                  }
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

  struct Figures {
    var count: Int
    var tps: Double
    var p50: Double
    var p99: Double
    /// CPU per submission: this process (client, both services) and the rest (PostgreSQL,
    /// kernel).
    var cpu: String
  }

  /// `Health.Check` (no token, no database) at the same concurrency: what the gRPC stack
  /// alone costs on this machine, client and server in this process.
  static func measureBareRPC(port: Int) async throws -> (rate: Double, cpu: String) {
    return try await withLocalClient(port: port) { client in
      let health = Grpc_Health_V1_Health.Client(wrapping: client)
      let calls = Samples()
      let start = ContinuousClock.now
      let cpu = CPUSample.now()
      try await load(for: .milliseconds(Int64(seconds * 500)), latencies: calls) { _ in
        _ = try await health.check(.with { $0.service = "" })
      }
      let count = calls.values.count
      return (
        Double(count) / (ContinuousClock.now - start).seconds,
        CPUSample.perOperation(since: cpu, operations: count, ours: "swift")
      )
    }
  }

  /// `callers` tasks submitting back to back for `seconds`, each as its own facility.
  static func measureService(
    _ facilities: [Safemap_Account_V1_IssuanceResult],
    port: Int
  ) async throws -> Figures {
    let latencies = Samples()
    return try await withLocalClient(port: port) { client in
      let service = Safemap_Assessment_V1_AssessmentService.Client(wrapping: client)
      var tokens: [Metadata] = []
      for facility in facilities {
        tokens.append(
          try await TestKeys.metadata(
            for: Principal(
              accountID: UUID().uuidString.lowercased(),
              username: facility.username,
              role: .facility,
              provinceCode: "25",
              facilityID: facility.facilityID
            )
          )
        )
      }
      let callerTokens = tokens
      @Sendable func submit(as token: Metadata) async throws {
        _ = try await service.submitAssessment(
          .with {
            $0.requestID = UUID().uuidString
            $0.kind = .workplace
            $0.units = [
              .with {
                $0.unitName = "Xưởng"
                $0.answers = answers
              }
            ]
          },
          metadata: token
        )
      }
      // Warm-up at full concurrency, so every pooled connection is open, its statements
      // prepared and its caches warm before the clock starts (pgbench, too, connects all its
      // clients before it measures).
      try await load(for: .seconds(3), latencies: Samples()) {
        try await submit(as: callerTokens[$0])
      }
      let start = ContinuousClock.now
      let cpu = CPUSample.now()
      try await load(for: .milliseconds(Int64(seconds * 1000)), latencies: latencies) {
        try await submit(as: callerTokens[$0])
      }
      let elapsed = (ContinuousClock.now - start).seconds
      let count = latencies.values.count
      return Figures(
        count: count,
        tps: Double(count) / elapsed,
        p50: latencies.percentile(0.5),
        p99: latencies.percentile(0.99),
        cpu: CPUSample.perOperation(since: cpu, operations: count, ours: "swift")
      )
    }
  }

  /// `callers` tasks calling `operation` (with their index) back to back until `duration` has
  /// passed; every call's latency in milliseconds goes to `latencies`.
  static func load(
    for duration: Duration,
    latencies: Samples,
    _ operation: @escaping @Sendable (Int) async throws -> Void
  ) async throws {
    let deadline = ContinuousClock.now.advanced(by: duration)
    try await withThrowingTaskGroup(of: Void.self) { group in
      for caller in 0..<callers {
        group.addTask {
          while ContinuousClock.now < deadline {
            let t = ContinuousClock.now
            try await operation(caller)
            latencies.add((ContinuousClock.now - t).seconds * 1000)
          }
        }
      }
      try await group.waitForAll()
    }
  }

  /// pgbench with the service's transaction, one facility per client; returns its tps. The
  /// values bound are those of an assessment the service stored.
  static func measurePgbench(
    _ facilities: [Safemap_Account_V1_IssuanceResult],
    cluster: PostgresCluster,
    port: Int
  ) async throws -> Double {
    var variables = try await PostgresTesting.withClient(cluster.configuration(database: "bench")) {
      client,
      logger -> [String: String] in
      try await client.query(
        "CREATE TABLE bench_facilities (n int PRIMARY KEY, facility_id uuid)",
        logger: logger
      )
      try await client.query(
        "GRANT SELECT ON bench_facilities TO safemap_assessment",
        logger: logger
      )
      for (n, facility) in facilities.enumerated() {
        try await client.query(
          "INSERT INTO bench_facilities VALUES (\(n), \(facility.facilityID)::uuid)",
          logger: logger
        )
      }
      let rows = try await client.query(
        """
        SELECT kind, catalogue_version::text, units::text, score::text, max_points::text,
          index_percent::text, risk_level, map_level, top_criteria::text, submitted_by::text
        FROM assessments LIMIT 1
        """,
        logger: logger
      )
      let names = [
        "kind", "catalogue_version", "units", "score", "max_points", "index_percent",
        "risk_level", "map_level", "top_criteria", "submitted_by",
      ]
      for try await row in rows {
        let cells = row.makeRandomAccess()
        return Dictionary(
          uniqueKeysWithValues: try names.indices.map {
            (names[$0], try cells[$0].decode(String.self))
          }
        )
      }
      throw Shell.Failure(description: "the service stored no assessment")
    }
    // The rest of what the service binds; the per-transaction values are set by the script.
    variables["province_code"] = "25"
    variables["statement_timeout"] = "10000"
    variables["default_validity_days"] = "7"
    variables["have_facility"] = "0"
    let script = FileManager.default.temporaryDirectory
      .appendingPathComponent("submit-\(UUID().uuidString).sql").path
    try pgbenchScript().write(toFile: script, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: script) }
    print("pgbench script:\n\(try String(contentsOfFile: script, encoding: .utf8))")

    let pgbench = try ManagedCluster.findBinDirectory() + "/pgbench"
    var arguments = [
      "-n", "-c", String(callers), "-j", "2", "-T", String(Int(seconds)), "-M", "prepared",
      "-f", script, "-h", "127.0.0.1", "-p", String(port), "-U", "safemap_assessment",
    ]
    for (name, value) in variables.sorted(by: { $0.key < $1.key }) {
      arguments += ["-D", "\(name)=\(value)"]
    }
    let cpu = CPUSample.now()
    let output = try await Shell.run(pgbench, arguments + ["bench"])
    let lines = output.split(separator: "\n")
    guard let line = lines.first(where: { $0.hasPrefix("tps = ") }),
      let tps = Double(line.dropFirst(6).prefix(while: { $0 != " " })),
      let processed = lines.first(where: {
        $0.hasPrefix("number of transactions actually processed")
      }),
      let count = Int(processed.split(separator: " ").last ?? "")
    else { throw Shell.Failure(description: "pgbench printed no tps:\n\(output)") }
    let failed = lines.first { $0.contains("failed transactions") } ?? ""
    print(
      "pgbench: transactions=\(count) tps=\(Int(tps)) "
        + CPUSample.perOperation(
          since: cpu,
          operations: count,
          ours: "pgbench",
          includeChildren: true
        )
        + " (\(failed))"
    )
    return tps
  }

  /// The service's submission transaction for pgbench. Each client looks its facility up once;
  /// the request id is new for every transaction, as the service's callers send it.
  static func pgbenchScript() -> String {
    typealias S = SubmissionStatements
    return """
      \\if :have_facility = 0
      SELECT facility_id, 1 AS have_facility FROM bench_facilities WHERE n = :client_id \\gset
      \\endif
      \\set request_id random(1, 9000000000000000000)
      BEGIN;
      \(variables(in: TenantSetting.sql, TenantSetting.parameters));
      \(variables(in: S.InsertAssessment.sql, S.InsertAssessment.parameters)) \\gset
      \(variables(in: S.UpdateStatus<S.Workplace>.sql, S.UpdateStatus<S.Workplace>.parameters));
      COMMIT;

      """
  }

  /// `sql` with `$1…$n` replaced by `:name` of the n-th parameter.
  static func variables(in sql: String, _ names: [String]) -> String {
    var result = sql
    // Highest first, so `$1` does not eat the start of `$14`.
    for (index, name) in names.enumerated().reversed() {
      result = result.replacingOccurrences(of: "$\(index + 1)", with: ":\(name)")
    }
    return result
  }
}
