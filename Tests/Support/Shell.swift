import Foundation

/// Runs external programs from async tests. Waits by polling instead of `waitUntilExit()`,
/// which was seen to hang when called from async code (Foundation's `Process` on Linux).
public enum Shell {
  public struct Failure: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
      self.description = description
    }
  }

  /// Runs `executable` with `arguments`, returns its combined output; throws on a non-zero
  /// exit. Spawned with posix_spawn and reaped with `waitpid(WNOHANG)` polling: Foundation's
  /// `Process` left children unreaped here when the child forked a daemon (pg_ctl start).
  @discardableResult
  public static func run(_ executable: String, _ arguments: [String]) async throws -> String {
    let output = FileManager.default.temporaryDirectory
      .appendingPathComponent("safemap-shell-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: output) }
    let pid = try spawn(executable, arguments, output: output)
    var status: Int32 = 0
    while true {
      let result = waitpid(pid, &status, WNOHANG)
      if result == pid { break }
      if result < 0 && errno != EINTR { throw Failure(description: "waitpid failed: \(errno)") }
      try await Task.sleep(for: .milliseconds(20))
    }
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    let exited = (status & 0x7f) == 0
    let code = (status >> 8) & 0xff
    guard exited && code == 0 else {
      throw Failure(
        description: "\(executable) \(arguments.joined(separator: " ")) failed "
          + "(status \(status)): \(text)"
      )
    }
    return text
  }

  /// Waits for `pid` to exit, for up to `timeout`; its exit status, or nil if still running.
  public static func waitForExit(_ pid: pid_t, timeout: Duration) async -> Int32? {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    var status: Int32 = 0
    while ContinuousClock.now < deadline {
      if waitpid(pid, &status, WNOHANG) == pid {
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
      }
      try? await Task.sleep(for: .milliseconds(20))
    }
    return nil
  }

  /// Runs to completion, blocking the thread (for `atexit`, where nothing async can run).
  public static func runBlocking(_ executable: String, _ arguments: [String]) {
    guard let pid = try? spawn(executable, arguments, output: "/dev/null") else { return }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
  }

  /// Starts `executable` without waiting; `environment` replaces the inherited one when given.
  public static func spawn(
    _ executable: String,
    _ arguments: [String],
    output: String,
    environment: [String: String]? = nil
  ) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    // Children start with no blocked signals and default handlers: the caller's threads
    // (Dispatch, NIO) block some, and a child that inherits a blocked SIGALRM never wakes
    // (pgbench -T ran forever).
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let spawned: Int32
    if let environment {
      let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
      defer { envp.forEach { free($0) } }
      spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    } else {
      spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
    }
    guard spawned == 0 else {
      throw Failure(description: "cannot start \(executable): error \(spawned)")
    }
    return pid
  }
}

/// A TCP port that was free a moment ago (bind to port 0, read it back, close).
public enum FreePort {
  public static func find() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Shell.Failure(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0 else { throw Shell.Failure(description: "bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw Shell.Failure(description: "getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
  }
}
