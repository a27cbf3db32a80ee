import Synchronization

/// The port a server ends up listening on, for whoever asks before or after it is known (tests
/// start servers on port 0 and wait for the real one). Resolved once: a failure before
/// listening is every waiter's answer; after listening, later failures change nothing.
public final class ListeningPort: Sendable {
  private struct State {
    var port: Int?
    var failed: (any Error)?
    var waiters: [CheckedContinuation<Int, any Error>] = []
  }
  private let state = Mutex(State())

  public init() {}

  /// The port, once listening; throws what stopped the server before it listened.
  public func value() async throws -> Int {
    try await withCheckedThrowingContinuation { continuation in
      let ready: Result<Int, any Error>? = state.withLock { state in
        if let port = state.port { return .success(port) }
        if let failed = state.failed { return .failure(failed) }
        state.waiters.append(continuation)
        return nil
      }
      if let ready { continuation.resume(with: ready) }
    }
  }

  public func resolve(_ result: Result<Int, any Error>) {
    let waiters = state.withLock { state -> [CheckedContinuation<Int, any Error>] in
      switch result {
      case .success(let port): state.port = port
      case .failure(let error): if state.port == nil { state.failed = error }
      }
      defer { state.waiters = [] }
      return state.waiters
    }
    for waiter in waiters { waiter.resume(with: result) }
  }
}
