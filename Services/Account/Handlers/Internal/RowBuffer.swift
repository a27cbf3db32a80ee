import Synchronization

/// Reads a request stream ahead of its consumer so the consumer can take every row that has
/// arrived as one chunk: a fast sender gets large chunks (one transaction for hundreds of
/// rows), while a client that waits for each result before sending the next still gets one.
///
/// Bounded: once `capacity` rows wait, the reader stops reading until the consumer takes some,
/// so HTTP/2 flow control holds the sender back and memory stays flat however long the stream.
final class RowBuffer<Element: Sendable>: Sendable {
  private struct State {
    var items: [Element] = []
    var finished = false
    var failure: (any Error)?
    /// The consumer, waiting for rows.
    var consumer: CheckedContinuation<Void, Never>?
    /// The reader, waiting for room.
    var producer: CheckedContinuation<Void, Never>?
  }
  private let state = Mutex(State())
  let capacity: Int

  init(capacity: Int) {
    self.capacity = max(1, capacity)
  }

  /// Adds a row, waiting while the buffer is full; `false` once the consumer has stopped (the
  /// reader should stop reading).
  func append(_ element: Element) async -> Bool {
    let capacity = self.capacity
    while true {
      let added = state.withLock { state -> (Bool?, CheckedContinuation<Void, Never>?) in
        if state.finished { return (nil, nil) }
        guard state.items.count < capacity else { return (false, nil) }
        state.items.append(element)
        defer { state.consumer = nil }
        return (true, state.consumer)
      }
      guard let appended = added.0 else { return false }
      if appended {
        added.1?.resume()
        return true
      }
      await withCheckedContinuation { continuation in
        let room = state.withLock { state -> Bool in
          if state.items.count < capacity || state.finished { return true }
          state.producer = continuation
          return false
        }
        if room { continuation.resume() }
      }
    }
  }

  /// The end of the stream (or its failure); also wakes a reader waiting for room.
  func finish(throwing error: (any Error)? = nil) {
    let (consumer, producer) = state.withLock { state in
      state.finished = true
      if state.failure == nil { state.failure = error }
      defer {
        state.consumer = nil
        state.producer = nil
      }
      return (state.consumer, state.producer)
    }
    consumer?.resume()
    producer?.resume()
  }

  /// Up to `limit` elements once at least one is there; `nil` at the end of the stream.
  func next(limit: Int) async throws -> [Element]? {
    while true {
      let (result, producer): (Result<[Element]?, any Error>?, CheckedContinuation<Void, Never>?) =
        state.withLock { state in
          if !state.items.isEmpty {
            let take = Array(state.items.prefix(limit))
            state.items.removeFirst(take.count)
            defer { state.producer = nil }
            return (.success(take), state.producer)
          }
          if let failure = state.failure { return (.failure(failure), nil) }
          if state.finished { return (.success(nil), nil) }
          return (nil, nil)
        }
      producer?.resume()
      if let result { return try result.get() }
      await withCheckedContinuation { continuation in
        let ready = state.withLock { state -> Bool in
          if !state.items.isEmpty || state.finished { return true }
          state.consumer = continuation
          return false
        }
        if ready { continuation.resume() }
      }
    }
  }
}
