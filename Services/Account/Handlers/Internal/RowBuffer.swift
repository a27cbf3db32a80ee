import Synchronization

/// Reads a request stream ahead of its consumer so the consumer can take every row that has
/// arrived as one chunk: a fast sender gets large chunks (one transaction for hundreds of
/// rows), while a client that waits for each result before sending the next still gets one.
final class RowBuffer<Element: Sendable>: Sendable {
  private struct State {
    var items: [Element] = []
    var finished = false
    var failure: (any Error)?
    var waiter: CheckedContinuation<Void, Never>?
  }
  private let state = Mutex(State())

  func append(_ element: Element) {
    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
      state.items.append(element)
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume()
  }

  func finish(throwing error: (any Error)? = nil) {
    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
      state.finished = true
      state.failure = error
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume()
  }

  /// Up to `limit` elements once at least one is there; `nil` at the end of the stream.
  func next(limit: Int) async throws -> [Element]? {
    while true {
      let result: Result<[Element]?, any Error>? = state.withLock { state in
        if !state.items.isEmpty {
          let take = Array(state.items.prefix(limit))
          state.items.removeFirst(take.count)
          return .success(take)
        }
        if let failure = state.failure { return .failure(failure) }
        if state.finished { return .success(nil) }
        return nil
      }
      if let result { return try result.get() }
      await withCheckedContinuation { continuation in
        let ready = state.withLock { state -> Bool in
          if !state.items.isEmpty || state.finished { return true }
          state.waiter = continuation
          return false
        }
        if ready { continuation.resume() }
      }
    }
  }
}
