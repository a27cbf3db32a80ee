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
