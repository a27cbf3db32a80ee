public import Logging
public import PostgresNIO
import SafeMapAPI
import SafeMapDatabase
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
  ///
  /// The query runs in a task of its own that the probe stops waiting for, never a structured
  /// child: a query on a connection PostgreSQL cut can stay unresolved for ever in postgres-nio
  /// 1.33.2, ignoring cancellation, and a task group would wait for it and hold the shutdown
  /// (seen: a service still running 17 s after SIGTERM with the database stopped).
  func probe() async -> Bool {
    let client = self.client
    let logger = self.logger
    let timeout = max(interval, .seconds(1))
    let outcome = Outcome<Bool>()
    let query = Task {
      do {
        try await client.query("SELECT 1", logger: logger)
        outcome.resolve(.success(true))
      } catch {
        outcome.resolve(.success(false))
      }
    }
    let timer = Task {
      try? await Task.sleep(for: timeout)
      outcome.resolve(.success(false))
    }
    defer {
      timer.cancel()
      query.cancel()
    }
    return
      (try? await withTaskCancellationHandler {
        try await outcome.value
      } onCancel: {
        outcome.resolve(.success(false))
      }) ?? false
  }
}
