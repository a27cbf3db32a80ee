import Foundation
import Synchronization

/// A PostgreSQL cluster this process started with initdb and pg_ctl, from the system's
/// PostgreSQL. initdb refuses to run as root, so as root the server runs as the `postgres` user
/// that the Debian package creates, on a folder it owns.
public final class ManagedCluster: Sendable {
  public let directory: String
  public let port: Int
  let binDirectory: String

  /// Clusters to stop when the process exits (Swift Testing has no global tear-down).
  private static let running = Mutex<[String: String]>([:])

  init(directory: String, port: Int, binDirectory: String) {
    self.directory = directory
    self.port = port
    self.binDirectory = binDirectory
  }

  /// Settings of a throwaway cluster: tests need fsync no more than a throwaway cluster does.
  public static let testSettings = "fsync = off\nmax_connections = 1000\nshared_buffers = 128MB\n"

  /// Starts a new cluster in a temporary folder; or, given `directory`, the cluster kept
  /// there, created with `settings` the first time (benchmarks keep their data between runs).
  public static func start(
    directory kept: String? = nil,
    settings: String = testSettings
  ) async throws -> ManagedCluster {
    let bin = try findBinDirectory()
    let directory =
      kept
      ?? FileManager.default.temporaryDirectory
      .appendingPathComponent("safemap-pg-\(UUID().uuidString.prefix(8))").path
    if kept != nil, FileManager.default.fileExists(atPath: "\(directory)/data/postmaster.pid") {
      // Left running by an interrupted run: stop it, so it starts on a port of our choosing.
      _ = try? await asOwner(
        "\(bin)/pg_ctl",
        ["-D", "\(directory)/data", "-m", "fast", "-w", "stop"]
      )
    }
    if !FileManager.default.fileExists(atPath: "\(directory)/data/PG_VERSION") {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      if getuid() == 0 { try await Shell.run("/bin/chown", ["postgres:", directory]) }
      try await asOwner(
        "\(bin)/initdb",
        [
          "-D", "\(directory)/data", "-U", "postgres", "-A", "trust", "-E", "UTF8",
          "--locale=C.UTF-8", "--no-sync",
        ]
      )
      try settings.appendToFile("\(directory)/data/postgresql.auto.conf")
    }
    var lastError: (any Error)?
    for _ in 0..<5 {
      let port = try FreePort.find()
      do {
        try await asOwner(
          "\(bin)/pg_ctl",
          [
            "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "30", "start", "-o",
            "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1",
          ]
        )
        let cluster = ManagedCluster(directory: directory, port: port, binDirectory: bin)
        if kept == nil { running.withLock { $0[directory] = bin } }
        atexit { ManagedCluster.stopAll() }
        return cluster
      } catch {
        lastError = error
      }
    }
    throw lastError ?? Shell.Failure(description: "could not start PostgreSQL")
  }

  /// Stops the server (fast shutdown), keeping its data.
  public func stop() async throws {
    try await Self.asOwner(
      "\(binDirectory)/pg_ctl",
      ["-D", "\(directory)/data", "-m", "fast", "-w", "stop"]
    )
  }

  /// Starts it again on the same port.
  public func restart() async throws {
    try await Self.asOwner(
      "\(binDirectory)/pg_ctl",
      [
        "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "30", "start", "-o",
        "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1",
      ]
    )
  }

  /// Restarts the server as after a crash (`-m immediate`): every connection is cut without
  /// a goodbye, and the server recovers before accepting new ones.
  public func restartImmediately() async throws {
    try await Self.asOwner(
      "\(binDirectory)/pg_ctl",
      [
        "-D", "\(directory)/data", "-l", "\(directory)/log", "-m", "immediate", "-w", "-t", "30",
        "restart", "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1",
      ]
    )
  }

  /// Stops the server and removes its folder.
  public func destroy() async {
    _ = try? await stop()
    Self.running.withLock { _ = $0.removeValue(forKey: directory) }
    try? FileManager.default.removeItem(atPath: directory)
  }

  static func stopAll() {
    let clusters = running.withLock { clusters -> [String: String] in
      defer { clusters = [:] }
      return clusters
    }
    for (directory, bin) in clusters {
      let stop = ["\(bin)/pg_ctl", "-D", "\(directory)/data", "-m", "immediate", "-w", "stop"]
      if getuid() == 0 {
        Shell.runBlocking("/sbin/runuser", ["-u", "postgres", "--"] + stop)
      } else {
        Shell.runBlocking(stop[0], Array(stop.dropFirst()))
      }
      try? FileManager.default.removeItem(atPath: directory)
    }
  }

  static func asOwner(_ executable: String, _ arguments: [String]) async throws {
    if getuid() == 0 {
      try await Shell.run("/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
    } else {
      try await Shell.run(executable, arguments)
    }
  }

  /// The newest `/usr/lib/postgresql/*/bin`, else the folder of `initdb` on PATH.
  public static func findBinDirectory() throws -> String {
    let root = "/usr/lib/postgresql"
    let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
      .compactMap { Int($0) }.sorted()
    if let newest = versions.last,
      FileManager.default.isExecutableFile(atPath: "\(root)/\(newest)/bin/initdb")
    {
      return "\(root)/\(newest)/bin"
    }
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
      if FileManager.default.isExecutableFile(atPath: "\(dir)/initdb") { return String(dir) }
    }
    throw Shell.Failure(
      description:
        "PostgreSQL server binaries not found: run scripts/setup.sh (installs postgresql)"
    )
  }
}

extension String {
  func appendToFile(_ path: String) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(utf8))
  }
}
