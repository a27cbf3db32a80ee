import Foundation
import Synchronization

/// Latencies collected from concurrent tasks, for the benchmarks.
public final class Samples: Sendable {
  private let storage = Mutex<[Double]>([])

  public init() {}

  public func add(_ value: Double) { storage.withLock { $0.append(value) } }
  public var values: [Double] { storage.withLock { $0 } }

  /// The `p` quantile (0…1) of the values, nearest rank.
  public func percentile(_ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
  }
}

extension Duration {
  public var seconds: Double {
    let (s, attoseconds) = components
    return Double(s) + Double(attoseconds) / 1e18
  }
}

/// CPU time spent while a benchmark phase ran: by the whole machine (every process and the
/// kernel) and by this process, so a figure can be split into "ours" and "the rest"
/// (PostgreSQL, pgbench, the kernel's own work).
public struct CPUSample: Sendable {
  /// Busy CPU-seconds of the machine since boot (`/proc/stat`: all but idle and iowait).
  public var machine: Double
  /// CPU-seconds of this process (user + system).
  public var process: Double
  /// CPU-seconds of this process's reaped children (pgbench).
  public var children: Double

  public static func now() -> CPUSample {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    let stat = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)) ?? ""
    let fields = stat.prefix(while: { $0 != "\n" }).split(separator: " ").dropFirst()
      .compactMap { Double($0) }
    // user nice system idle iowait irq softirq steal
    let busy = fields.enumerated().filter { $0.offset != 3 && $0.offset != 4 && $0.offset < 8 }
      .map(\.element).reduce(0, +)
    return CPUSample(
      machine: busy / ticks,
      process: seconds(RUSAGE_SELF),
      children: seconds(RUSAGE_CHILDREN)
    )
  }

  private static func seconds(_ who: __rusage_who) -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(who.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
      + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
  }

  /// `"<label>_us=<ours per op> other_us=<rest per op>"` for `operations` done since `start`.
  public static func perOperation(
    since start: CPUSample,
    operations: Int,
    ours: String,
    includeChildren: Bool = false
  ) -> String {
    let end = now()
    let mine =
      (end.process - start.process)
      + (includeChildren ? end.children - start.children : 0)
    let rest = (end.machine - start.machine) - mine
    let n = Double(max(operations, 1))
    return "\(ours)_us=\(Int(mine / n * 1e6)) other_us=\(Int(rest / n * 1e6))"
  }
}
