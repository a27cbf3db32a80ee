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

extension Executables {
  /// The environment of a service executable started by a test or benchmark: this process's
  /// own, the test signing key, a database of `cluster`, a gRPC port on loopback, no metrics
  /// port, and a throwaway data folder. Callers add what their scenario needs.
  public static func environment(
    cluster: PostgresCluster,
    database: String,
    grpcPort: Int,
    logLevel: String = "warning"
  ) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment.merge(TestKeys.environment) { $1 }
    environment["SAFEMAP_DATABASE_URL"] = "postgres://\(cluster.host):\(cluster.port)/\(database)"
    environment["SAFEMAP_GRPC_HOST"] = "127.0.0.1"
    environment["SAFEMAP_GRPC_PORT"] = String(grpcPort)
    environment["SAFEMAP_METRICS_PORT"] = "0"
    environment["SAFEMAP_LOG_LEVEL"] = logLevel
    environment["SAFEMAP_DATA_DIR"] = FileManager.default.temporaryDirectory.path
    return environment
  }
}
