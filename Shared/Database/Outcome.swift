import Synchronization

/// The one result of a piece of work that several parties may settle: the work itself, the
/// RPC's cancellation or the time limit. The first settles it; the others are ignored.
package final class Outcome<Value: Sendable>: Sendable {
  private enum State {
    case waiting(CheckedContinuation<Value, any Error>?)
    case settled(Result<Value, any Error>)
  }
  private let state = Mutex(State.waiting(nil))

  package init() {}

  /// Settles the outcome; `false` if it was settled already.
  @discardableResult
  package func resolve(_ result: Result<Value, any Error>) -> Bool {
    let waiter: CheckedContinuation<Value, any Error>?? = state.withLock {
      guard case .waiting(let waiter) = $0 else { return .none }
      $0 = .settled(result)
      return .some(waiter)
    }
    guard let waiter else { return false }
    waiter?.resume(with: result)
    return true
  }

  package var value: Value {
    get async throws {
      try await withCheckedThrowingContinuation { continuation in
        let settled: Result<Value, any Error>? = state.withLock {
          switch $0 {
          case .settled(let result): return result
          case .waiting:
            $0 = .waiting(continuation)
            return nil
          }
        }
        if let settled { continuation.resume(with: settled) }
      }
    }
  }
}
