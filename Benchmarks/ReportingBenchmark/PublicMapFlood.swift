import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapCore
import SafeMapTestSupport
import SwiftProtobuf
import Synchronization

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// What an anonymous flood of the public map costs everyone else (`make bench-public-flood`):
/// web-service as deployed (its public-map cache on, sized in bytes), one client asking for
/// every province × level combination as fast as it can for `BENCH_FLOOD_SECONDS` (60), while
/// an official calls R1 (the province summary) one call after another. Printed: web-service's
/// peak RSS against the web pod's memory limit, and the official's R1 p99 during the flood
/// against idle. Run twice: at the default per-client limit (the flood is one address), and
/// with every anonymous limit lifted — as if the flood came from many addresses — so that the
/// cache's byte budget alone holds the memory.
extension ReportingBenchmark {
  static let floodSeconds = Int(environment["BENCH_FLOOD_SECONDS"] ?? "") ?? 60
  /// The flood's parallel requests (one client with several connections, as a script would).
  static let floodConcurrency = 4
  /// The web pod's memory limit in `deploy/kubernetes/base/web.yaml`.
  static let webMemoryBudgetMB = 1024
  static let floodLevels = ["SAFE", "AT_RISK", "UNSAFE", "OVERDUE", "NOT_ASSESSED"]

  /// Every province × every subset of levels (the empty subset is the whole map).
  static func floodPaths() -> [String] {
    var paths: [String] = []
    for province in ProvinceGeography.centres.keys.sorted() {
      for mask in 0..<(1 << floodLevels.count) {
        let levels = floodLevels.indices.filter { mask & (1 << $0) != 0 }
          .map { "&level=\(floodLevels[$0])" }.joined()
        paths.append("/api/public-map?province=\(province)\(levels)")
      }
    }
    return paths
  }

  static func flood(reporting: Service, account: Service, officer: Principal) async throws {
    let idle = try await summaryLatencies(reporting: reporting, officer: officer) { $0 >= calls }
    say(String(format: "flood: r1 idle calls=%d p99_ms=%.1f", calls, idle.percentile(0.99)))
    for (label, lifted) in [("default_limit", false), ("limits_lifted", true)] {
      var environment = [
        "SAFEMAP_WEB_HOST": "127.0.0.1", "SAFEMAP_METRICS_PORT": "0",
        "SAFEMAP_ACCOUNT_SERVICE": "127.0.0.1:\(account.port)",
        "SAFEMAP_ASSESSMENT_SERVICE": "127.0.0.1:\(account.port)",
        "SAFEMAP_REPORTING_SERVICE": "127.0.0.1:\(reporting.port)",
        "SAFEMAP_LOG_LEVEL": "warning",
      ]
      if lifted {
        environment["SAFEMAP_WEB_ANONYMOUS_BURST"] = "1000000"
        environment["SAFEMAP_WEB_ANONYMOUS_RATE"] = "1000000"
      }
      let port = try FreePort.find()
      environment["SAFEMAP_WEB_PORT"] = String(port)
      let pid = try Shell.spawn(
        try Executables.path("web-service"),
        [],
        output: "\(FileManager.default.temporaryDirectory.path)/bench-flood-\(label).log",
        environment: environment
      )
      defer { kill(pid, SIGTERM) }
      let base = "http://127.0.0.1:\(port)"
      let up = await eventually(timeout: .seconds(30)) {
        (try? await URLSession.shared.data(from: URL(string: "\(base)/healthz")!)) != nil
      }
      guard up else { throw GeneratorError("web-service did not start; see its log in /tmp") }
      let startRSS = ProcessMemory.residentMB(pid)
      let figures = try await floodWhileMeasuring(
        base: base,
        webPID: pid,
        reporting: reporting,
        officer: officer
      )
      say(
        String(
          format:
            "flood %@: seconds=%d requests=%d status_200=%d status_429=%d status_other=%d "
            + "mb_received=%.0f web_rss_mb_start=%d web_rss_mb_peak=%d web_budget_mb=%d "
            + "web_us_per_request=%d r1_calls=%d r1_idle_p99_ms=%.1f r1_flood_p99_ms=%.1f "
            + "r1_ratio=%.2f",
          label,
          floodSeconds,
          figures.requests,
          figures.statuses[200, default: 0],
          figures.statuses[429, default: 0],
          figures.requests - figures.statuses[200, default: 0]
            - figures.statuses[429, default: 0],
          Double(figures.bytes) / 1_048_576,
          startRSS,
          figures.peakRSS,
          webMemoryBudgetMB,
          figures.webMicrosPerRequest,
          figures.summaries.values.count,
          idle.percentile(0.99),
          figures.summaries.percentile(0.99),
          figures.summaries.percentile(0.99) / idle.percentile(0.99)
        ) + " " + figures.cpu
      )
      guard figures.peakRSS <= webMemoryBudgetMB else {
        throw GeneratorError("web-service went past its memory budget during the flood")
      }
    }
  }

  struct FloodFigures {
    var requests: Int
    var statuses: [Int: Int]
    var bytes: Int
    var peakRSS: Int
    var webMicrosPerRequest: Int
    /// CPU per flood request of the other processes (the official's R1 calls included).
    var cpu: String
    var summaries: Samples
  }

  /// The flood, the official's R1 calls and an RSS sampler, all for `floodSeconds`.
  static func floodWhileMeasuring(
    base: String,
    webPID: pid_t,
    reporting: Service,
    officer: Principal
  ) async throws -> FloodFigures {
    let paths = floodPaths()
    let session = URLSession(configuration: .ephemeral)
    let deadline = ContinuousClock.now + .seconds(floodSeconds)
    let counts = FloodCounts()
    let webStart = ProcessCPU.seconds(webPID)
    let reportingStart = ProcessCPU.seconds(reporting.pid)
    let start = CPUSample.now()
    async let summaries = summaryLatencies(reporting: reporting, officer: officer) { _ in
      ContinuousClock.now >= deadline
    }
    let peak = try await withThrowingTaskGroup(of: Int.self) { group in
      group.addTask {
        var peak = 0
        while ContinuousClock.now < deadline {
          peak = max(peak, ProcessMemory.residentMB(webPID))
          try await Task.sleep(for: .milliseconds(200))
        }
        return max(peak, ProcessMemory.peakMB(webPID))
      }
      // Worker w asks for paths w, w + n, w + 2n, …: together they cycle through all of them.
      for worker in 0..<floodConcurrency {
        group.addTask {
          var index = worker
          while ContinuousClock.now < deadline {
            defer { index = (index + floodConcurrency) % paths.count }
            let url = URL(string: base + paths[index])!
            let (data, response) = try await session.data(from: url)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            counts.add(status: status, bytes: data.count)
          }
          return 0
        }
      }
      return try await group.reduce(0, max)
    }
    let latencies = try await summaries
    let web = ProcessCPU.seconds(webPID) - webStart
    let service = ProcessCPU.seconds(reporting.pid) - reportingStart
    let end = CPUSample.now()
    let client = end.process - start.process
    let (requests, bytes, statuses) = counts.totals
    let perRequest = { (seconds: Double) in Int(seconds / Double(max(requests, 1)) * 1e6) }
    return FloodFigures(
      requests: requests,
      statuses: statuses,
      bytes: bytes,
      peakRSS: peak,
      webMicrosPerRequest: perRequest(web),
      cpu: "reporting_us=\(perRequest(service)) client_us=\(perRequest(client)) "
        + "postgres_and_rest_us=\(perRequest(end.machine - start.machine - client - service - web))",
      summaries: latencies
    )
  }

  /// An official's R1 (the largest province by district) called one after another until
  /// `done(callsSoFar)`.
  static func summaryLatencies(
    reporting: Service,
    officer: Principal,
    until done: @escaping @Sendable (Int) -> Bool
  ) async throws -> Samples {
    try await withLocalClient(port: reporting.port) { client in
      let reports = Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
      let metadata = try await TestKeys.metadata(for: officer)
      let request = Safemap_Reporting_V1_GetProvinceSummaryRequest.with {
        $0.provinceCode = NationalDataSet.largest
        $0.grouping = .district
      }
      for _ in 0..<5 { _ = try await reports.getProvinceSummary(request, metadata: metadata) }
      let latencies = Samples()
      let clock = ContinuousClock()
      var count = 0
      while !done(count) {
        let began = clock.now
        _ = try await reports.getProvinceSummary(request, metadata: metadata)
        latencies.add((clock.now - began).seconds * 1_000)
        count += 1
      }
      return latencies
    }
  }
}

/// The flood's answers, counted from its concurrent workers.
final class FloodCounts: Sendable {
  private let storage = Mutex<(requests: Int, bytes: Int, statuses: [Int: Int])>((0, 0, [:]))

  func add(status: Int, bytes: Int) {
    storage.withLock {
      $0.requests += 1
      $0.bytes += bytes
      $0.statuses[status, default: 0] += 1
    }
  }

  var totals: (requests: Int, bytes: Int, statuses: [Int: Int]) { storage.withLock { $0 } }
}

/// Resident memory of another process, from `/proc/<pid>/status`.
enum ProcessMemory {
  static func residentMB(_ pid: pid_t) -> Int { field("VmRSS", pid) }
  /// The highest resident size the kernel saw (catches a peak between samples).
  static func peakMB(_ pid: pid_t) -> Int { field("VmHWM", pid) }

  private static func field(_ name: String, _ pid: pid_t) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
      let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
    else { return 0 }
    return kilobytes / 1024
  }
}
