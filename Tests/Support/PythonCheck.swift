import Foundation

/// The Python checks under `Tests/` (the PyPI reflection client, the Kubernetes validator), run
/// with the virtual environment `scripts/setup.sh --tests` installs into `.build-python`. Each
/// prints one JSON object as its last such line.
public enum PythonCheck {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// Runs `Tests/<script>` with `arguments`; its JSON object. Throws (with the output) when
  /// the script exits non-zero.
  public static func run(_ script: String, _ arguments: [String] = []) async throws
    -> [String: Any]
  {
    let python = root.appendingPathComponent(".build-python/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: python) else {
      throw Shell.Failure(description: "\(python) is missing: run scripts/setup.sh --tests")
    }
    let output = try await Shell.run(
      python,
      [root.appendingPathComponent("Tests/\(script)").path] + arguments
    )
    let json = output.split(separator: "\n").last { $0.hasPrefix("{") } ?? ""
    guard
      let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    else {
      throw Shell.Failure(description: "no JSON object in the output of \(script): \(output)")
    }
    return object
  }
}
