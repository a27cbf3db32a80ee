import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapTestSupport
import SwiftProtobuf
import Synchronization

/// account-service's memory over one long issuance stream: the real executable (a process of
/// its own, so its RSS is its own), fed `memoryRows` rows by a client that keeps no results.
/// Bulk issuance reads ahead by at most one chunk, so the peak must not grow with the stream.
extension AccountBenchmark {
  static let memoryRows =
    Int(ProcessInfo.processInfo.environment["BENCH_MEMORY_ROWS"] ?? "") ?? 100_000

  static func issuanceMemory(cluster: PostgresCluster) async throws -> String {
    try await cluster.createMigratedDatabase("bench_memory")
    let port = try FreePort.find()
    var environment = Executables.environment(
      cluster: cluster,
      database: "bench_memory",
      grpcPort: port
    )
    environment["SAFEMAP_BOOTSTRAP_ADMIN"] = "bench.admin"
    environment["SAFEMAP_BOOTSTRAP_PASSWORD"] = "bench admin password"
    // The default row limit is 50,000 per batch; this stream is one batch of `memoryRows`.
    environment["SAFEMAP_ISSUANCE_MAX_ROWS"] = String(memoryRows)
    let log = FileManager.default.temporaryDirectory
      .appendingPathComponent("bench-account-service-\(port).log").path
    let pid = try Shell.spawn(
      try Executables.path("account-service"),
      [],
      output: log,
      environment: environment
    )
    defer {
      kill(pid, SIGTERM)
      try? FileManager.default.removeItem(atPath: log)
    }

    return try await withLocalClient(port: port) { client in
      let accounts = Safemap_Account_V1_AccountService.Client(wrapping: client)
      let facilities = Safemap_Account_V1_FacilityService.Client(wrapping: client)
      var admin: Metadata = [:]
      for attempt in 0..<100 {
        do {
          let login = try await accounts.login(
            .with {
              $0.username = "bench.admin"; $0.password = "bench admin password"
            }
          )
          admin = bearer(login.tokens.accessToken)
          break
        } catch  where attempt < 99 {
          try await Task.sleep(for: .milliseconds(200))
        }
      }
      let before = ProcessFigures(pid: pid)
      let peak = Mutex(before.rssKiB)
      let sampling = Task {
        while !Task.isCancelled {
          let now = ProcessFigures(pid: pid).rssKiB
          peak.withLock { $0 = max($0, now) }
          try? await Task.sleep(for: .milliseconds(100))
        }
      }
      let cpu = CPUSample.now()
      let started = ContinuousClock.now
      let answered = try await facilities.issueFacilityAccounts(
        metadata: admin,
        requestProducer: { writer in
          try await writer.write(.with { $0.options = .with { $0.provinceCode = "70" } })
          for n in 0..<memoryRows {
            try await writer.write(
              .with {
                $0.row = .with { row in
                  row.rowNumber = Int32(n + 1)
                  row.facility = .with {
                    $0.name = "Cơ sở Bình Phước \(n)"
                    $0.taxCode = String(format: "38%08d", n)
                    $0.districtCode = ["688", "689", "690", "691", "692"][n % 5]
                    $0.workerCount = Int32(50 + n % 900)
                    $0.workshopAreaM2 = Double(500 + n % 4000)
                  }
                }
              }
            )
          }
        }
      ) { response in
        var count = 0
        for try await message in response.messages {
          if case .result = message.item { count += 1 }
        }
        return count
      }
      let seconds = (ContinuousClock.now - started).seconds
      sampling.cancel()
      let after = ProcessFigures(pid: pid)
      let serviceCPU = after.cpuSeconds - before.cpuSeconds
      let mebibytes = { (kib: Int) in String(format: "%.0f", Double(kib) / 1024) }
      return "issuance_memory: rows=\(answered) seconds=\(String(format: "%.1f", seconds)) "
        + "rss_before_mb=\(mebibytes(before.rssKiB)) "
        + "rss_peak_mb=\(mebibytes(peak.withLock { $0 })) "
        + "rss_after_mb=\(mebibytes(after.rssKiB)) "
        + "service_us=\(Int(serviceCPU / Double(max(answered, 1)) * 1e6)) "
        + CPUSample.perOperation(since: cpu, operations: answered, ours: "client")
    }
  }
}

/// Resident memory and CPU time of another process, from `/proc`.
struct ProcessFigures {
  var rssKiB: Int
  var cpuSeconds: Double

  init(pid: pid_t) {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    rssKiB =
      status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
      .flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
    // Fields 14 and 15 of /proc/<pid>/stat (after the command name in parentheses).
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    if fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) {
      cpuSeconds = (user + system) / ticks
    } else {
      cpuSeconds = 0
    }
  }
}
