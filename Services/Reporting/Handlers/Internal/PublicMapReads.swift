import GRPCCore
import SafeMapAPI

/// What anonymous `GetPublicMap` calls may cost the database: concurrent identical calls
/// (same province, same levels) share one read, and at most ``concurrentReads`` reads run at
/// once (each holds three pooled connections, so officials' reports keep the rest of the pool);
/// at most ``queueLimit`` more wait their turn, and past that the call is refused with
/// RESOURCE_EXHAUSTED rather than queued in memory.
actor PublicMapReads {
  struct Key: Hashable, Sendable {
    var province: String
    var levels: [String]
  }

  typealias Response = Safemap_Reporting_V1_GetPublicMapResponse

  let concurrentReads: Int
  let queueLimit: Int
  private var inFlight: [Key: Task<Response, any Error>] = [:]
  private var running = 0
  private var waiting: [CheckedContinuation<Void, Never>] = []

  init(concurrentReads: Int, queueLimit: Int = 32) {
    self.concurrentReads = max(1, concurrentReads)
    self.queueLimit = max(0, queueLimit)
  }

  /// The read for `key`: the one in flight, or `load` once a slot is free. `load` runs in its
  /// own task, so one caller going away does not cancel the read the others wait for.
  func read(_ key: Key, load: @escaping @Sendable () async throws -> Response) async throws
    -> Response
  {
    if let shared = inFlight[key] { return try await shared.value }
    guard running < concurrentReads || waiting.count < queueLimit else {
      throw RPCError(
        code: .resourceExhausted,
        message: "the public map is busy: \(running) reads running and \(waiting.count) "
          + "waiting; retry in a few seconds",
        metadata: ["retry-after": "2"]
      )
    }
    let task = Task {
      await self.acquire()
      do {
        let response = try await load()
        await self.release()
        return response
      } catch {
        await self.release()
        throw error
      }
    }
    inFlight[key] = task
    defer { inFlight[key] = nil }
    return try await task.value
  }

  /// Reads running and waiting now (for tests).
  var load: (running: Int, waiting: Int) { (running, waiting.count) }

  private func acquire() async {
    if running < concurrentReads {
      running += 1
      return
    }
    await withCheckedContinuation { waiting.append($0) }
  }

  private func release() {
    if waiting.isEmpty {
      running -= 1
    } else {
      // The slot passes to the next in line; `running` stays.
      waiting.removeFirst().resume()
    }
  }
}
