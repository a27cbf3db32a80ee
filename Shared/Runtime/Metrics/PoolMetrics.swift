public import Logging
public import Prometheus
public import SafeMapDatabase
import Synchronization

/// The database pool's figures as Prometheus gauges and a histogram: connections open, in use
/// and idle, requests waiting for one, and how long they waited.
///
/// Waits and leases come from ``Database`` (``DatabasePoolObserver``). Open connections come
/// from the pool itself, which in postgres-nio 1.33.2 reports them only as lines on its
/// background logger (`PostgresClientMetrics`): ``logger(wrapping:)`` counts a connection from
/// "Creating new connection" until "Connection creation failed" or "Connection closed" (the
/// pool's "established" event logs nothing), so one being opened already counts.
public final class PoolMetrics: DatabasePoolObserver {
  private struct Counts {
    var open = 0
    var inUse = 0
    var waiting = 0
  }
  private let counts = Mutex(Counts())
  private let open: Gauge
  private let inUse: Gauge
  private let idle: Gauge
  private let waiting: Gauge
  private let acquisition: DurationHistogram
  private let acquisitionFailures: Counter

  static let acquisitionBuckets: [Duration] = [
    .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5),
    .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1),
    .seconds(5),
  ]

  public init(registry: PrometheusCollectorRegistry) {
    func gauge(_ name: String, _ help: String) -> Gauge {
      registry.makeGauge(name: "db_pool_connections_\(name)", labels: [], help: help)
    }
    open = gauge("open", "Database connections the pool holds open")
    inUse = gauge("in_use", "Pooled database connections leased to a request")
    idle = gauge("idle", "Open pooled database connections no request holds")
    waiting = gauge("waiting", "Requests waiting for a pooled database connection")
    acquisition = registry.makeDurationHistogram(
      name: "db_pool_acquisition_seconds",
      labels: [],
      buckets: Self.acquisitionBuckets,
      help: "Time a request waited for a pooled database connection"
    )
    acquisitionFailures = registry.makeCounter(
      name: "db_pool_acquisition_failures_total",
      labels: [],
      help: "Requests that stopped waiting without a connection"
    )
  }

  public func waitStarted() {
    update { $0.waiting += 1 }
  }

  public func waitEnded(after wait: Duration, leased: Bool) {
    acquisition.record(wait)
    if !leased { acquisitionFailures.increment() }
    update { counts in
      counts.waiting -= 1
      if leased { counts.inUse += 1 }
    }
  }

  public func leaseEnded() {
    update { $0.inUse -= 1 }
  }

  func connectionOpened() {
    update { $0.open += 1 }
  }

  func connectionClosed() {
    update { $0.open = max(0, $0.open - 1) }
  }

  private func update(_ change: (inout Counts) -> Void) {
    counts.withLock { counts in
      change(&counts)
      open.set(Double(counts.open))
      inUse.set(Double(counts.inUse))
      idle.set(Double(max(0, counts.open - counts.inUse)))
      waiting.set(Double(counts.waiting))
    }
  }

  /// `logger` for the pool's background logging, counting its connection events; lines below
  /// `logger`'s own level are counted and dropped as before.
  public func logger(wrapping logger: Logger) -> Logger {
    var counting = logger
    counting.handler = EventCounter(inner: logger.handler, metrics: self)
    return counting
  }

  /// Sees the pool's debug lines whatever the service's log level, and passes on only those
  /// the service's handler would have printed.
  struct EventCounter: LogHandler {
    var inner: any LogHandler
    let metrics: PoolMetrics

    var logLevel: Logger.Level {
      get { min(.debug, inner.logLevel) }
      set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
      get { inner.metadata }
      set { inner.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
      get { inner.metadataProvider }
      set { inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { inner[metadataKey: key] }
      set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
      switch event.message.description {
      case "Creating new connection": metrics.connectionOpened()
      case "Connection creation failed", "Connection closed": metrics.connectionClosed()
      default: break
      }
      if event.level >= inner.logLevel { inner.log(event: event) }
    }
  }
}
