import Foundation

/// The built executables (`account-service`, …), next to the test bundle in the build folder.
/// `make test` builds them with `swift build --build-tests` before running the tests.
public enum Executables {
  public static func path(_ name: String) throws -> String {
    var candidates: [String] = []
    if let dir = ProcessInfo.processInfo.environment["SAFEMAP_BIN_DIR"] { candidates.append(dir) }
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<3 {
      candidates.append(url.path)
      url = url.deletingLastPathComponent()
    }
    for dir in candidates where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
      return "\(dir)/\(name)"
    }
    throw Shell.Failure(
      description: "\(name) not built (looked in \(candidates)); run swift build --build-tests"
    )
  }
}
