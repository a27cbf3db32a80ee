import Foundation
import SafeMapTestSupport

/// Runs the real `safemap` binary as a user would, against services on local ports, with its
/// own session file: what it printed on each stream and how it exited.
struct CLIRunner: Sendable {
  struct Result: Sendable {
    let status: Int32
    let output: String
    let error: String
  }

  let binary: String
  let environment: [String: String]
  let folder: URL

  /// A runner for the services on these ports, with a session file of its own.
  init(account: Int, assessment: Int, reporting: Int) throws {
    binary = try Executables.path("safemap")
    folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("safemap-cli-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var environment = ProcessInfo.processInfo.environment
    environment["SAFEMAP_ACCOUNT_SERVICE"] = "127.0.0.1:\(account)"
    environment["SAFEMAP_ASSESSMENT_SERVICE"] = "127.0.0.1:\(assessment)"
    environment["SAFEMAP_REPORTING_SERVICE"] = "127.0.0.1:\(reporting)"
    environment["SAFEMAP_SESSION_FILE"] = folder.appendingPathComponent("session.json").path
    environment["TZ"] = "Asia/Ho_Chi_Minh"
    self.environment = environment
  }

  var sessionFile: String { environment["SAFEMAP_SESSION_FILE"]! }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  /// Runs `safemap arguments…` with `input` on standard input.
  func run(_ arguments: [String], input: String = "") throws -> Result {
    let stdin = folder.appendingPathComponent("stdin-\(UUID().uuidString)")
    let stdout = folder.appendingPathComponent("stdout-\(UUID().uuidString)")
    let stderr = folder.appendingPathComponent("stderr-\(UUID().uuidString)")
    try Data(input.utf8).write(to: stdin)
    FileManager.default.createFile(atPath: stdout.path, contents: nil)
    FileManager.default.createFile(atPath: stderr.path, contents: nil)
    defer {
      for file in [stdin, stdout, stderr] { try? FileManager.default.removeItem(at: file) }
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.environment = environment
    process.standardInput = try FileHandle(forReadingFrom: stdin)
    process.standardOutput = try FileHandle(forWritingTo: stdout)
    process.standardError = try FileHandle(forWritingTo: stderr)
    try process.run()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus,
      output: try String(contentsOf: stdout, encoding: .utf8),
      error: try String(contentsOf: stderr, encoding: .utf8)
    )
  }

  /// Runs and requires success, returning standard output.
  func ok(_ arguments: [String], input: String = "") throws -> String {
    let result = try run(arguments, input: input)
    guard result.status == 0 else {
      throw Shell.Failure(
        description: "safemap \(arguments.joined(separator: " ")) exited \(result.status): "
          + result.error + result.output
      )
    }
    return result.output
  }
}
