import Foundation
public import Prometheus
import Synchronization

/// The standard `process_*` figures of the Prometheus client libraries (CPU seconds, resident
/// and virtual memory, open and maximum file descriptors, start time), read from `/proc` at
/// each scrape: swift-prometheus 2 has no process collector.
public final class ProcessMetrics: Sendable {
  private let cpu: Counter
  private let cpuSecondsCounted = Mutex(0.0)
  private let resident: Gauge
  private let virtual: Gauge
  private let openFiles: Gauge
  private let maximumFiles: Gauge
  private let startTime: Gauge

  public init(registry: PrometheusCollectorRegistry) {
    cpu = registry.makeCounter(
      name: "process_cpu_seconds_total",
      labels: [],
      help: "Total user and system CPU time spent in seconds"
    )
    resident = registry.makeGauge(
      name: "process_resident_memory_bytes",
      labels: [],
      help: "Resident memory size in bytes"
    )
    virtual = registry.makeGauge(
      name: "process_virtual_memory_bytes",
      labels: [],
      help: "Virtual memory size in bytes"
    )
    openFiles = registry.makeGauge(
      name: "process_open_fds",
      labels: [],
      help: "Number of open file descriptors"
    )
    maximumFiles = registry.makeGauge(
      name: "process_max_fds",
      labels: [],
      help: "Maximum number of open file descriptors"
    )
    startTime = registry.makeGauge(
      name: "process_start_time_seconds",
      labels: [],
      help: "Start time of the process since the Unix epoch in seconds"
    )
  }

  /// Reads the figures now; called before each scrape. Figures `/proc` does not give (another
  /// system) keep their last value.
  public func update() {
    if let stat = Stat.read() {
      cpuSecondsCounted.withLock { counted in
        let total = stat.cpuSeconds
        if total > counted { cpu.increment(by: total - counted) }
        counted = max(counted, total)
      }
      resident.set(stat.residentBytes)
      virtual.set(stat.virtualBytes)
      if let start = stat.startTime { startTime.set(start) }
    }
    if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
      openFiles.set(Double(descriptors.count))
    }
    var limit = rlimit()
    if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
      maximumFiles.set(Double(limit.rlim_cur))
    }
  }

  /// The fields of `/proc/self/stat` (proc(5)) the figures need.
  struct Stat {
    var cpuSeconds: Double
    var virtualBytes: Double
    var residentBytes: Double
    var startTime: Double?

    static func read() -> Stat? {
      guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8) else {
        return nil
      }
      let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
      let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
      let procStat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8)
      let boot = procStat.flatMap { Stat.bootTime(procStat: $0) }
      return parse(text, ticksPerSecond: ticks, pageSize: pageSize, bootTime: boot)
    }

    /// `text` is `pid (comm) state ppid …`; the command may hold spaces and parentheses, so
    /// fields are counted after its last `)`: field 3 (state) is the first of them.
    static func parse(
      _ text: String,
      ticksPerSecond: Double,
      pageSize: Double,
      bootTime: Double?
    ) -> Stat? {
      guard let close = text.lastIndex(of: ")") else { return nil }
      let fields = text[text.index(after: close)...].split(separator: " ")
      // fields[0] is field 3; field n is fields[n - 3].
      func field(_ n: Int) -> Double? {
        n - 3 < fields.count ? Double(fields[n - 3].trimmingCharacters(in: .newlines)) : nil
      }
      guard let user = field(14), let system = field(15), let start = field(22),
        let virtual = field(23), let resident = field(24), ticksPerSecond > 0
      else { return nil }
      return Stat(
        cpuSeconds: (user + system) / ticksPerSecond,
        virtualBytes: virtual,
        residentBytes: resident * pageSize,
        startTime: bootTime.map { $0 + start / ticksPerSecond }
      )
    }

    /// The `btime` line of `/proc/stat`: the boot time, in seconds since the epoch.
    static func bootTime(procStat: String) -> Double? {
      for line in procStat.split(separator: "\n") where line.hasPrefix("btime ") {
        return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
      }
      return nil
    }
  }
}
