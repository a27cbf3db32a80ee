public import Logging
public import PostgresNIO
import SafeMapAPI
public import ServiceLifecycle

/// Probes the database every few seconds and reports SERVING only while it answers, so a
/// load balancer stops sending calls that could only fail. On graceful shutdown it marks the
/// server NOT_SERVING for good, then waits `shutdownDelay` before letting the drain begin.
///
/// Put it last in the service group: services shut down in reverse order, so this one flips the
/// health status before the gRPC server starts draining.
public struct DatabaseHealthProbe: Service {
  public let health: HealthService
  public let client: PostgresClient
  public let interval: Duration
  public let shutdownDelay: Duration
  public let logger: Logger

  public init(
    health: HealthService,
    client: PostgresClient,
    interval: Duration,
    shutdownDelay: Duration,
    logger: Logger
  ) {
    self.health = health
    self.client = client
    self.interval = interval
    self.shutdownDelay = shutdownDelay
    self.logger = logger
  }

  public func run() async throws {
    try? await cancelWhenGracefulShutdown {
      var reachable: Bool? = nil
      while !Task.isCancelled {
        let ok = await probe()
        if ok != reachable {
          if !ok { logger.warning("database unreachable: reporting NOT_SERVING") }
          if ok && reachable == false { logger.info("database reachable again: SERVING") }
          reachable = ok
        }
        health.setAll(ok ? .serving : .notServing)
        try await Task.sleep(for: interval)
      }
    }
    health.markShuttingDown()
    logger.info("shutting down: health NOT_SERVING")
    if shutdownDelay > .zero { try? await Task.sleep(for: shutdownDelay) }
  }

  /// `SELECT 1` within the probe interval; a lease that waits longer counts as unreachable.
  func probe() async -> Bool {
    let client = self.client
    let logger = self.logger
    let timeout = max(interval, .seconds(1))
    return await withTaskGroup(of: Bool.self) { group in
      group.addTask {
        do {
          try await client.query("SELECT 1", logger: logger)
          return true
        } catch {
          return false
        }
      }
      group.addTask {
        try? await Task.sleep(for: timeout)
        return false
      }
      let first = await group.next() ?? false
      group.cancelAll()
      return first
    }
  }
}
