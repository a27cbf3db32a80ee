import CArgon2
import Foundation
public import NIOPosix

/// Argon2id password hashing (DESIGN.md §4: OWASP's 19 MiB, 2 iterations, 1 lane), stored as a
/// PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) so parameters can be raised later.
///
/// Hashing costs ~20 MiB and tens of milliseconds, so it runs on a dedicated thread pool whose
/// size bounds both the concurrency and the memory: event loops never block, and a login storm
/// queues instead of exhausting memory.
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
  private let pool: NIOThreadPool

  /// `pool` must be started; its thread count is the concurrency bound.
  public init(parameters: Parameters = .owasp, pool: NIOThreadPool) {
    self.parameters = parameters
    self.pool = pool
  }

  public enum Failure: Error {
    case hashing(code: Int32)
  }

  public func hash(_ password: String) async throws -> String {
    let parameters = self.parameters
    return try await pool.runIfActive {
      Self.yieldToServing()
      return try Self.hashNow(password, parameters: parameters)
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
  public func verify(_ password: String, against encoded: String) async throws -> Bool {
    if encoded.hasPrefix("$sha256$") {
      let expected = Data(Credentials.oneTimePasswordHash(password).utf8)
      return Credentials.constantTimeEqual(expected, Data(encoded.utf8))
    }
    return try await pool.runIfActive {
      Self.yieldToServing()
      return Self.verifyNow(password, against: encoded)
    }
  }

  /// Spends the time of a real verification, so an unknown username answers as slowly as a
  /// wrong password.
  public func verifyDummy(_ password: String) async throws {
    _ = try await verify(password, against: dummyHash)
  }

  /// A valid Argon2id hash of nothing anyone knows (computed once at start-up).
  public var dummyHash: String { Self.dummy }
  private static let dummy: String =
    (try? hashNow(Credentials.randomToken(), parameters: .owasp)) ?? "$argon2id$v=19$m=19456,t=2,p=1$"

  /// Whether `encoded` was made with weaker parameters than the current ones.
  public func needsRehash(_ encoded: String) -> Bool {
    !encoded.hasPrefix(
      "$argon2id$v=19$m=\(parameters.memoryKiB),t=\(parameters.iterations),p=\(parameters.lanes)$")
  }

  static func hashNow(_ password: String, parameters: Parameters) throws -> String {
    var salt = [UInt8](repeating: 0, count: 16)
    var generator = SystemRandomNumberGenerator()
    for i in salt.indices { salt[i] = generator.next() }
    let hashLength = 32
    let encodedLength = argon2_encodedlen(
      parameters.iterations, parameters.memoryKiB, parameters.lanes, UInt32(salt.count),
      UInt32(hashLength), Argon2_id)
    var encoded = [CChar](repeating: 0, count: encodedLength)
    let bytes = Array(password.utf8)
    let result = argon2id_hash_encoded(
      parameters.iterations, parameters.memoryKiB, parameters.lanes, bytes, bytes.count,
      salt, salt.count, hashLength, &encoded, encodedLength)
    guard result == ARGON2_OK.rawValue else { throw Failure.hashing(code: result) }
    return String(cString: encoded)
  }

  static func verifyNow(_ password: String, against encoded: String) -> Bool {
    let bytes = Array(password.utf8)
    return argon2id_verify(encoded, bytes, bytes.count) == ARGON2_OK.rawValue
  }
}
