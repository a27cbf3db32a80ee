import CArgon2
import Foundation
public import GRPCCore
public import NIOPosix
import SafeMapCore
import Synchronization

/// Argon2id password hashing (docs/architecture.md: OWASP's 19 MiB, 2 iterations, 1 lane), stored
/// as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) so parameters can be raised later.
///
/// Hashing costs ~20 MiB and tens of milliseconds, so it runs on a dedicated thread pool whose
/// size bounds both the concurrency and the memory: event loops never block. The queue in front
/// of the pool is bounded too (`queueLimit` checks waiting or running): when it is full a call
/// fails at once with RESOURCE_EXHAUSTED instead of waiting behind a login storm, and a queued
/// check whose caller has gone (task cancelled, RPC cancelled or past its deadline) is dropped
/// when its turn comes instead of being computed for nobody.
public struct PasswordHasher: Sendable {
  public struct Parameters: Sendable, Hashable {
    public var memoryKiB: UInt32
    public var iterations: UInt32
    public var lanes: UInt32

    public init(memoryKiB: UInt32, iterations: UInt32, lanes: UInt32) {
      self.memoryKiB = memoryKiB
      self.iterations = iterations
      self.lanes = lanes
    }

    /// OWASP's recommended Argon2id parameters.
    public static let owasp = Parameters(memoryKiB: 19_456, iterations: 2, lanes: 1)
  }

  public let parameters: Parameters
  /// Most checks waiting or running at once.
  public let queueLimit: Int
  private let pool: NIOThreadPool
  private let counters: Counters

  /// `pool` must be started; its thread count is the concurrency bound.
  public init(parameters: Parameters = .owasp, pool: NIOThreadPool, queueLimit: Int = 64) {
    self.parameters = parameters
    self.pool = pool
    self.queueLimit = max(1, queueLimit)
    self.counters = Counters()
  }

  public enum Failure: Error {
    case hashing(code: Int32)
  }

  /// What the queue is doing, for tests and metrics.
  public struct Figures: Sendable, Hashable {
    /// Checks waiting or running now.
    public var inFlight: Int
    /// Hashes computed since start.
    public var computed: Int
    /// Queued checks dropped because their caller had gone.
    public var dropped: Int
    /// Calls refused because the queue was full.
    public var refused: Int
  }

  public var figures: Figures { counters.state.withLock { $0 } }

  private final class Counters: Sendable {
    let state = Mutex(Figures(inFlight: 0, computed: 0, dropped: 0, refused: 0))
  }

  public func hash(
    _ password: String,
    cancellation: ServerContext.RPCCancellationHandle? = nil
  ) async throws -> String {
    let parameters = self.parameters
    return try await run(cancellation) {
      try Self.hashNow(password, parameters: parameters)
    }
  }

  /// Runs `work` on the hashing pool within the queue limit, unless the caller is gone by the
  /// time a thread is free.
  private func run<Result: Sendable>(
    _ cancellation: ServerContext.RPCCancellationHandle?,
    _ work: @escaping @Sendable () throws -> Result
  ) async throws -> Result {
    let limit = queueLimit
    let admitted = counters.state.withLock { figures -> Bool in
      guard figures.inFlight < limit else {
        figures.refused += 1
        return false
      }
      figures.inFlight += 1
      return true
    }
    guard admitted else {
      throw RPCError(
        code: .resourceExhausted,
        message: "too many password checks in progress; retry in a few seconds"
      )
    }
    defer { counters.state.withLock { $0.inFlight -= 1 } }
    let callerGone = Mutex(false)
    let counters = self.counters
    return try await withTaskCancellationHandler {
      try await pool.runIfActive {
        if callerGone.withLock({ $0 }) || cancellation?.isCancelled == true {
          counters.state.withLock { $0.dropped += 1 }
          throw RPCError(code: .cancelled, message: "the call ended before its password check")
        }
        Self.yieldToServing()
        defer { counters.state.withLock { $0.computed += 1 } }
        return try work()
      }
    } onCancel: {
      callerGone.withLock { $0 = true }
    }
  }

  /// Lowers the calling pool thread's scheduling priority (nice 10), so that while logins keep
  /// the hashing threads busy, the event loops and everything else that answers quickly still
  /// get the CPU first. Per thread on Linux; idempotent and cheap.
  static func yieldToServing() {
    #if os(Linux)
      // On Linux the nice value is per thread, and 0 names the calling thread.
      _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
    #endif
  }

  /// Whether `password` matches `encoded` (Argon2id, or the fast hash of a one-time password).
  /// A malformed `encoded` is a mismatch.
  ///
  /// A one-time password's check also spends an Argon2id verification: otherwise its speed
  /// would tell anyone timing a login which usernames still hold one (facilities not yet
  /// activated).
  public func verify(
    _ password: String,
    against encoded: String,
    cancellation: ServerContext.RPCCancellationHandle? = nil
  ) async throws -> Bool {
    if encoded.hasPrefix("$sha256$") {
      let expected = Data(Credentials.oneTimePasswordHash(password).utf8)
      let dummy = Self.dummy
      _ = try await run(cancellation) { Self.verifyNow(password, against: dummy) }
      return Secret.equal(expected, Data(encoded.utf8))
    }
    return try await run(cancellation) { Self.verifyNow(password, against: encoded) }
  }

  /// Spends the time of a real verification, so an unknown username answers as slowly as a
  /// wrong password.
  public func verifyDummy(
    _ password: String,
    cancellation: ServerContext.RPCCancellationHandle? = nil
  ) async throws {
    _ = try await verify(password, against: dummyHash, cancellation: cancellation)
  }

  /// A valid Argon2id hash of nothing anyone knows (computed once at start-up).
  public var dummyHash: String { Self.dummy }
  private static let dummy: String =
    (try? hashNow(Secret.randomToken(), parameters: .owasp))
    ?? "$argon2id$v=19$m=19456,t=2,p=1$"

  /// Whether `encoded` was made with weaker parameters than the current ones.
  public func needsRehash(_ encoded: String) -> Bool {
    !encoded.hasPrefix(
      "$argon2id$v=19$m=\(parameters.memoryKiB),t=\(parameters.iterations),p=\(parameters.lanes)$"
    )
  }

  static func hashNow(_ password: String, parameters: Parameters) throws -> String {
    var salt = [UInt8](repeating: 0, count: 16)
    var generator = SystemRandomNumberGenerator()
    for i in salt.indices { salt[i] = generator.next() }
    let hashLength = 32
    let encodedLength = argon2_encodedlen(
      parameters.iterations,
      parameters.memoryKiB,
      parameters.lanes,
      UInt32(salt.count),
      UInt32(hashLength),
      Argon2_id
    )
    var encoded = [CChar](repeating: 0, count: encodedLength)
    let bytes = Array(password.utf8)
    let result = argon2id_hash_encoded(
      parameters.iterations,
      parameters.memoryKiB,
      parameters.lanes,
      bytes,
      bytes.count,
      salt,
      salt.count,
      hashLength,
      &encoded,
      encodedLength
    )
    guard result == ARGON2_OK.rawValue else { throw Failure.hashing(code: result) }
    return String(cString: encoded)
  }

  static func verifyNow(_ password: String, against encoded: String) -> Bool {
    let bytes = Array(password.utf8)
    return argon2id_verify(encoded, bytes, bytes.count) == ARGON2_OK.rawValue
  }
}
