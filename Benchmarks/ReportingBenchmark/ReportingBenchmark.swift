import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import PostgresNIO
import SafeMapAPI
import SafeMapClient
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// The reports at national scale: a generated national data set (``NationalDataSet``, kept
/// between runs in `BENCH_DATA_DIR`), account-service and reporting-service as their release
/// executables, and each report called `BENCH_CALLS` times (default 200) one after another
/// through gRPC with a real token. Each figure is printed next to the p50 of the plainest
/// correct SQL for the same answer (``Baselines``), run directly as reporting's role, and with
/// the CPU per call of each process. Run with `make bench-reporting`.
@main
enum ReportingBenchmark {
  static let environment = ProcessInfo.processInfo.environment
  static let facilities = Int(environment["BENCH_FACILITIES"] ?? "") ?? 500_000
  static let days = Int(environment["BENCH_DAYS"] ?? "") ?? 60
  static let calls = Int(environment["BENCH_CALLS"] ?? "") ?? 200
  static let dataDirectory = environment["BENCH_DATA_DIR"] ?? "/var/tmp/safemap-reporting-bench"
  /// The migrations ship the 705 districts of the 2021 list; a newer official list can be
  /// loaded over them before the data set is generated.
  static let districtsCSV = environment["SAFEMAP_DISTRICTS_CSV"]
  /// `BENCH_ONLY=flood` (`make bench-public-flood`) runs only the public-map flood.
  static let floodOnly = environment["BENCH_ONLY"] == "flood"

  /// Sized for reads of a national data set on this machine (24 GiB); fsync off because the
  /// data set is regenerated rather than recovered.
  static let settings = """
    fsync = off
    max_connections = 200
    shared_buffers = 2GB
    effective_cache_size = 8GB
    work_mem = 64MB
    maintenance_work_mem = 512MB
    max_wal_size = 8GB
    checkpoint_timeout = 30min
    random_page_cost = 1.1

    """

  static func main() async throws {
    try await run()
  }

  nonisolated static func run() async throws {
    #if DEBUG
      say("warning: debug build; run `make bench-reporting` for release figures")
    #else
      say("build: release")
    #endif
    say("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(calls) calls each")
    let managed = try await ManagedCluster.start(directory: dataDirectory, settings: settings)
    let cluster = PostgresCluster(managed: managed)
    do {
      try await prepareData(cluster)
      try await measure(cluster)
      try await managed.stop()
    } catch {
      try? await managed.stop()
      throw error
    }
  }

  /// Generates the data set unless a complete one of the asked size is there.
  static func prepareData(_ cluster: PostgresCluster) async throws {
    let marker = "\(dataDirectory)/generated-\(facilities)-\(days)"
    if let stamp = try? String(contentsOfFile: marker, encoding: .utf8) {
      say("data: reused (\(stamp.trimmingCharacters(in: .whitespacesAndNewlines)))")
      // Migrations added since the data was generated apply to it as to any database.
      try await PostgresTesting.withClient(cluster.configuration(database: "bench")) {
        client,
        logger in
        _ = try await Migrator(migrations: try Migration.bundled(), logger: logger).migrate(client)
      }
      return
    }
    say("data: generating \(facilities) facilities, \(days) days of history")
    try await PostgresTesting.withClient(cluster.configuration(database: "postgres")) {
      client,
      logger in
      try await client.query("DROP DATABASE IF EXISTS bench", logger: logger)
    }
    try await cluster.createMigratedDatabase("bench")
    let owner = cluster.configuration(database: "bench")
    if let districtsCSV {
      let csv = try String(contentsOfFile: districtsCSV, encoding: .utf8)
      try await PostgresTesting.withClient(owner) { client, logger in
        try await client.withConnection { connection in
          _ = try await ReferenceData.importDistricts(csv: csv, on: connection, logger: logger)
        }
      }
    }
    // assessment-service installs the catalogues the way it does on a fresh database.
    let account = try await TestServices.start(
      .account,
      configuration: TestServices.configuration(.account, cluster: cluster, database: "bench")
    )
    let assessment = try await TestServices.start(
      .assessment,
      configuration: TestServices.configuration(
        .assessment,
        cluster: cluster,
        database: "bench",
        accountServicePort: account.port
      )
    )
    try await assessment.stop()
    try await account.stop()

    let clock = ContinuousClock()
    let started = clock.now
    let dataSet = NationalDataSet(facilities: facilities, days: days)
    let (mismatched, size) = try await PostgresTesting.withClient(owner) { client, logger in
      var quiet = logger
      quiet.logLevel = .warning
      try await dataSet.generate(client, logger: quiet)
      let mismatched = try await NationalDataSet.check(client, logger: logger)
      var size = ""
      for try await (bytes, rows) in try await client.query(
        """
        SELECT pg_database_size('bench')::int8,
          (SELECT count(*) FROM assessments)::int8
        """,
        logger: logger
      ).decode((Int64, Int64).self) {
        size = "database_mb=\(bytes / 1_048_576) assessments=\(rows)"
      }
      return (mismatched, size)
    }
    let seconds = (clock.now - started).seconds
    let stamp = String(
      format: "generator: facilities=%d days=%d seconds=%.0f %@ status_mismatches=%d",
      facilities,
      days,
      seconds,
      size,
      mismatched
    )
    say(stamp)
    guard mismatched == 0 else {
      throw GeneratorError(
        "facility_status disagrees with the history for \(mismatched) facilities"
      )
    }
    try "\(stamp) generated_at=\(ISO8601DateFormatter().string(from: Date()))\n"
      .write(
        toFile: "\(dataDirectory)/generated-\(facilities)-\(days)",
        atomically: true,
        encoding: .utf8
      )
  }

  struct Service {
    var pid: pid_t
    var port: Int
  }

  static func spawn(
    _ name: String,
    cluster: PostgresCluster,
    accountPort: Int?,
    extra: [String: String] = [:]
  ) async throws -> Service {
    let port = try FreePort.find()
    var environment = Executables.environment(cluster: cluster, database: "bench", grpcPort: port)
    if let accountPort { environment["SAFEMAP_ACCOUNT_SERVICE"] = "127.0.0.1:\(accountPort)" }
    environment.merge(extra) { $1 }
    environment["SAFEMAP_DATABASE_MAX_CONNECTIONS"] = "8"
    let pid = try Shell.spawn(
      try Executables.path(name),
      [],
      output: "\(FileManager.default.temporaryDirectory.path)/bench-\(name).log",
      environment: environment
    )
    let up = await eventually(timeout: .seconds(30)) {
      (try? await withLocalClient(port: port) { client in
        try await Grpc_Health_V1_Health.Client(wrapping: client).check(.init())
      }) != nil
    }
    guard up else { throw GeneratorError("\(name) did not start; see its log in /tmp") }
    return Service(pid: pid, port: port)
  }

  static func measure(_ cluster: PostgresCluster) async throws {
    let account = try await spawn("account-service", cluster: cluster, accountPort: nil)
    // The flood lifts reporting's own per-client limit too, so that only the cache stands
    // between the flood and the database in its second half.
    let reporting = try await spawn(
      "reporting-service",
      cluster: cluster,
      accountPort: account.port,
      extra: floodOnly
        ? ["SAFEMAP_ANONYMOUS_BURST": "1000000", "SAFEMAP_ANONYMOUS_RATE": "1000000"] : [:]
    )
    defer {
      kill(reporting.pid, SIGTERM)
      kill(account.pid, SIGTERM)
    }
    let largest = NationalDataSet.largest
    let officerPrincipal = TestPrincipals.provinceOfficer(largest)
    if floodOnly {
      try await flood(reporting: reporting, account: account, officer: officerPrincipal)
      return
    }
    let baselines = try await Baselines(cluster: cluster, province: largest)
    let campaign = try await baselines.campaignID()
    let district = try await baselines.largestDistrict()
    let (lat, lon) = ProvinceGeography.districtCentre(province: largest, index: district.index)
    let box = Safemap_Reporting_V1_BoundingBox.with {
      $0.low = .with {
        $0.latitude = lat - 0.05; $0.longitude = lon - 0.05
      }
      $0.high = .with {
        $0.latitude = lat + 0.05; $0.longitude = lon + 0.05
      }
    }
    let now = Date()
    let past = now.addingTimeInterval(-14 * 86_400)

    var results: [String: Double] = [:]
    func run(
      _ name: String,
      baseline: () async throws -> Double,
      _ call:
        @escaping @Sendable (
          Safemap_Reporting_V1_ReportingService.Client<HTTP2ClientTransport.Posix>, Tokens
        ) async throws -> Int
    ) async throws {
      // BENCH_ONLY=map,list measures only those (the last line then shows the others as 0).
      if let only = environment["BENCH_ONLY"], !only.split(separator: ",").contains(Substring(name))
      {
        results[name] = 0
        return
      }
      let figures = try await Self.calls(
        name,
        reporting: reporting,
        officer: officerPrincipal,
        call
      )
      let sql = try await baseline()
      results[name] = figures.p99
      say(
        String(
          format: "%@: calls=%d p50_ms=%.1f p99_ms=%.1f items=%d sql_p50_ms=%.1f ",
          name,
          calls,
          figures.p50,
          figures.p99,
          figures.items,
          sql
        ) + figures.cpu
      )
    }
    try await run("province", baseline: { try await baselines.provinceByDistrict(at: nil) }) {
      try await $0.getProvinceSummary(
        .with {
          $0.provinceCode = largest
          $0.grouping = .district
        },
        metadata: $1.officer
      ).rows.count
    }
    try await run("national", baseline: { try await baselines.national() }) {
      try await $0.getNationalSummary(.init(), metadata: $1.ministry).rows.count
    }
    try await run("list", baseline: { try await baselines.listPage() }) {
      try await $0.listFacilityStatuses(
        .with {
          $0.provinceCode = largest
          $0.filter = .with { $0.mapLevels = [.notAssessed, .overdue] }
          $0.pageSize = 50
        },
        metadata: $1.officer
      ).rows.count
    }
    try await run("map", baseline: { try await baselines.map(district: district.code, box: box) }) {
      try await $0.getMapLayer(
        .with {
          $0.provinceCode = largest
          $0.boundingBox = box
          $0.maxPoints = 20_000
        },
        metadata: $1.officer
      ).points.count
    }
    try await run("asof", baseline: { try await baselines.provinceByDistrict(at: past) }) {
      try await $0.getProvinceSummary(
        .with {
          $0.provinceCode = largest
          $0.grouping = .district
          $0.asOfTime = Google_Protobuf_Timestamp(date: past)
        },
        metadata: $1.officer
      ).rows.count
    }
    try await run("trend", baseline: { try await baselines.trend(days: 60) }) {
      try await $0.getTrend(
        .with {
          $0.provinceCode = largest
          $0.startTime = Google_Protobuf_Timestamp(date: now.addingTimeInterval(-59 * 86_400))
          $0.endTime = Google_Protobuf_Timestamp(date: now)
          $0.interval = .day
        },
        metadata: $1.officer
      ).points.count
    }
    try await run("campaign", baseline: { try await baselines.campaign(campaign) }) {
      try await $0.getCampaignProgress(
        .with {
          $0.provinceCode = largest
          $0.campaignID = campaign
        },
        metadata: $1.officer
      ).byDistrict.count
    }
    // Sign-off (issue 21): who has reported, and the letter, for the largest province's
    // campaign; both count the province by district, so R2's plain SQL stands beside them.
    try await run("rate", baseline: { try await baselines.provinceByDistrict(at: nil) }) {
      try await $0.getReportingRate(
        .with {
          $0.provinceCode = largest
          $0.campaignID = campaign
        },
        metadata: $1.officer
      ).units.count
    }
    try await run("letter", baseline: { try await baselines.provinceByDistrict(at: nil) }) {
      try await $0.getCampaignLetter(
        .with {
          $0.provinceCode = largest
          $0.campaignID = campaign
        },
        metadata: $1.officer
      ).sources.count
    }
    if environment["BENCH_ONLY"].map({ $0.split(separator: ",").contains("snapshot") }) ?? true {
      let figures = try await snapshots(
        reporting: reporting,
        province: largest,
        district: district.code,
        campaign: campaign
      )
      results["snapshot"] = figures.p99
      say(
        String(
          format: "snapshot: calls=%d p50_ms=%.1f p99_ms=%.1f items=%d ",
          calls,
          figures.p50,
          figures.p99,
          figures.items
        ) + figures.cpu
      )
    } else {
      results["snapshot"] = 0
    }
    // Issue 21's bulk writes in account-service: a district's sheet of nominations, and a
    // hand-out of its credentials, 1,000 each (BENCH_ONLY=nominate; not in the default run,
    // which it would lengthen by minutes).
    if environment["BENCH_ONLY"].map({ $0.split(separator: ",").contains("nominate") }) ?? false {
      let rounds = min(calls, 20)
      let (nominate, handOut) = try await nominations(
        account: account,
        province: largest,
        district: district.code,
        rounds: rounds
      )
      for (name, figures) in [("nominate", nominate), ("hand-out", handOut)] {
        say(
          String(
            format: "%@: calls=%d p50_ms=%.1f p99_ms=%.1f items=%d ",
            name,
            rounds,
            figures.p50,
            figures.p99,
            figures.items
          ) + figures.cpu
        )
      }
    }
    // The public map of the largest province (issue 11: p99 ≤ 300 ms): the RPC alone, then
    // what a browser waits for from web-service (its cache off, so every call reads).
    try await run("public", baseline: { try await baselines.publicMap() }) {
      try await $0.getPublicMap(.with { $0.provinceCode = largest }, metadata: $1.officer)
        .points.count
    }
    if environment["BENCH_ONLY"].map({ $0.split(separator: ",").contains("web") }) ?? true {
      let figures = try await webCalls(reporting: reporting, account: account, province: largest)
      results["web"] = figures.p99
      say(
        String(
          format: "web: calls=%d p50_ms=%.1f p99_ms=%.1f items=%d bytes=%d ",
          calls,
          figures.p50,
          figures.p99,
          figures.items,
          figures.bytes
        ) + figures.cpu
      )
    } else {
      results["web"] = 0
    }
    say(
      String(
        format: "sign-off: rate_p99_ms=%.0f snapshot_p99_ms=%.0f letter_p99_ms=%.0f",
        results["rate"]!,
        results["snapshot"]!,
        results["letter"]!
      )
    )
    say(
      String(
        format: "public map: grpc_p99_ms=%.0f web_p99_ms=%.0f",
        results["public"]!,
        results["web"]!
      )
    )
    say(
      String(
        format:
          "reports: province_p99_ms=%.0f national_p99_ms=%.0f list_p99_ms=%.0f map_p99_ms=%.0f "
          + "asof_p99_ms=%.0f trend_p99_ms=%.0f campaign_p99_ms=%.0f",
        results["province"]!,
        results["national"]!,
        results["list"]!,
        results["map"]!,
        results["asof"]!,
        results["trend"]!,
        results["campaign"]!
      )
    )
  }

  struct Figures {
    var p50: Double
    var p99: Double
    var items: Int
    var cpu: String
  }

  /// `calls` calls one after another (after five to warm up), with the CPU each process spent.
  /// Access tokens for the calls; they live 15 minutes, so a long run mints new ones.
  struct Tokens: Sendable {
    var officer: Metadata
    var ministry: Metadata
    var minted: ContinuousClock.Instant

    static func mint(officer: Principal) async throws -> Tokens {
      Tokens(
        officer: try await TestKeys.metadata(for: officer),
        ministry: try await TestKeys.metadata(for: TestPrincipals.ministry),
        minted: .now
      )
    }
  }

  static func calls(
    _ name: String,
    reporting: Service,
    officer: Principal,
    _ call:
      @escaping @Sendable (
        Safemap_Reporting_V1_ReportingService.Client<HTTP2ClientTransport.Posix>, Tokens
      ) async throws -> Int
  ) async throws -> Figures {
    try await withLocalClient(port: reporting.port, maximumMessageBytes: 64 << 20) { client in
      let reports = Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
      var tokens = try await Tokens.mint(officer: officer)
      for _ in 0..<5 { _ = try await call(reports, tokens) }
      let latencies = Samples()
      let clock = ContinuousClock()
      let start = CPUSample.now()
      let serviceStart = ProcessCPU.seconds(reporting.pid)
      var items = 0
      for _ in 0..<calls {
        // Minted between calls, outside the timing (a few client microseconds per 5 minutes).
        if clock.now - tokens.minted > .seconds(300) {
          tokens = try await Tokens.mint(officer: officer)
        }
        let began = clock.now
        items = try await call(reports, tokens)
        latencies.add((clock.now - began).seconds * 1_000)
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

extension ReportingBenchmark {
  struct WebFigures {
    var p50: Double
    var p99: Double
    var items: Int
    var bytes: Int
    var cpu: String
  }

  /// `calls` GETs of `/api/public-map` from web-service (release executable, public-map cache
  /// off) one after another, each timed to its last byte, with the CPU of every process.
  static func webCalls(reporting: Service, account: Service, province: String) async throws
    -> WebFigures
  {
    let port = try FreePort.find()
    let pid = try Shell.spawn(
      try Executables.path("web-service"),
      [],
      output: "\(FileManager.default.temporaryDirectory.path)/bench-web-service.log",
      environment: [
        "SAFEMAP_WEB_HOST": "127.0.0.1", "SAFEMAP_WEB_PORT": String(port),
        "SAFEMAP_METRICS_PORT": "0", "SAFEMAP_WEB_PUBLIC_MAP_CACHE_S": "0",
        "SAFEMAP_ACCOUNT_SERVICE": "127.0.0.1:\(account.port)",
        "SAFEMAP_ASSESSMENT_SERVICE": "127.0.0.1:\(account.port)",
        "SAFEMAP_REPORTING_SERVICE": "127.0.0.1:\(reporting.port)",
        "SAFEMAP_LOG_LEVEL": "warning",
      ]
    )
    defer { kill(pid, SIGTERM) }
    let url = URL(string: "http://127.0.0.1:\(port)/api/public-map?province=\(province)")!
    let session = URLSession(configuration: .ephemeral)
    @Sendable func get() async throws -> Data {
      let (data, response) = try await session.data(from: url)
      guard (response as? HTTPURLResponse)?.statusCode == 200 else {
        throw GeneratorError("web-service answered \(response)")
      }
      return data
    }
    let up = await eventually(timeout: .seconds(30)) { (try? await get()) != nil }
    guard up else { throw GeneratorError("web-service did not start; see its log in /tmp") }
    for _ in 0..<5 { _ = try await get() }
    let latencies = Samples()
    let clock = ContinuousClock()
    let start = CPUSample.now()
    let (webStart, reportingStart) = (ProcessCPU.seconds(pid), ProcessCPU.seconds(reporting.pid))
    var data = Data()
    for _ in 0..<calls {
      let began = clock.now
      data = try await get()
      latencies.add((clock.now - began).seconds * 1_000)
    }
    let web = ProcessCPU.seconds(pid) - webStart
    let service = ProcessCPU.seconds(reporting.pid) - reportingStart
    let end = CPUSample.now()
    let client = end.process - start.process
    let database = (end.machine - start.machine) - client - service - web
    let perCall = { (seconds: Double) in Int(seconds / Double(calls) * 1e6) }
    let points = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["points"]
    return WebFigures(
      p50: latencies.percentile(0.5),
      p99: latencies.percentile(0.99),
      items: (points as? [Any])?.count ?? 0,
      bytes: data.count,
      cpu: "web_us=\(perCall(web)) reporting_us=\(perCall(service)) client_us=\(perCall(client)) "
        + "postgres_and_rest_us=\(perCall(database))"
    )
  }
}

/// CPU-seconds (user + system) of another process, from `/proc/<pid>/stat`.
enum ProcessCPU {
  static func seconds(_ pid: pid_t) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command: state is field 3, utime 14 and stime 15 (1-based, whole line).
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
      return 0
    }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
  }
}

/// Prints a line at once (stdout is block-buffered when redirected, and a crash would lose it).
func say(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
