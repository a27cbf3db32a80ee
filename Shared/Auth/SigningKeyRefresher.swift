import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// Where a verifier gets the current public keys from: account-service over gRPC for the other
/// services, the database for account-service itself.
public protocol SigningKeySource: Sendable {
  func fetchKeys() async throws -> [PublicSigningKey]
}

/// Keeps a ``TokenVerifier``'s keys current: loads them at start, then every `interval`, and at
/// once (at most every `minimumGap`) when a token names an unknown key. Failures keep the last
/// good keys and retry with back-off, so a restart of account-service does not log anyone out.
public final class SigningKeyRefresher: Service, Sendable {
  public let verifier: TokenVerifier
  public let source: any SigningKeySource
  public let interval: Duration
  public let minimumGap: Duration
  private let logger: Logger
  private let lastAttempt = Mutex<ContinuousClock.Instant?>(nil)
  /// Fetches started so far: the verifier keeps the result of the latest-started one.
  private let fetches = Mutex(0)

  public init(
    verifier: TokenVerifier,
    source: any SigningKeySource,
    interval: Duration = .seconds(60),
    minimumGap: Duration = .seconds(5),
    logger: Logger
  ) {
    self.verifier = verifier
    self.source = source
    self.interval = interval
    self.minimumGap = minimumGap
    self.logger = logger
    verifier.onUnknownKey { [weak self] in await self?.refreshSoon() }
  }

  /// Loads the keys once; `true` on success.
  @discardableResult
  public func refresh() async -> Bool {
    lastAttempt.withLock { $0 = .now }
    let order = fetches.withLock {
      $0 += 1
      return $0
    }
    do {
      let keys = try await source.fetchKeys()
      await verifier.setKeys(keys, fetchOrder: order)
      logger.debug("signing keys loaded", metadata: ["count": "\(keys.count)"])
      return true
    } catch {
      logger.warning(
        "could not load signing keys",
        metadata: ["error": "\(String(describing: error))"]
      )
      return false
    }
  }

  func refreshSoon() async {
    let due = lastAttempt.withLock { last in
      guard let last else { return true }
      return last.advanced(by: minimumGap) <= .now
    }
    if due { await refresh() }
  }

  public func run() async throws {
    do {
      try await cancelWhenGracefulShutdown {
        var backoff = Duration.milliseconds(250)
        while !Task.isCancelled {
          let ok = await self.refresh()
          let pause = ok ? self.interval : backoff
          backoff = ok ? .milliseconds(250) : min(backoff * 2, .seconds(30))
          try await Task.sleep(for: pause)
        }
      }
    } catch is CancellationError {
      // Shutdown.
    }
  }
}
