import Foundation
public import Logging
import Metrics
import Prometheus
public import SafeMapClient
import SafeMapDatabase

/// The common `main` of the three executables: configuration from the environment, logging,
/// metrics, then the service; a bad configuration or a failed start exits with status 1 and a
/// one-line reason.
public enum ServiceMain {
  public static func run(
    _ service: SafeMapService,
    _ body: @Sendable (ServiceHost, [String: String]) async throws -> Void
  ) async {
    let environment = ProcessInfo.processInfo.environment
    let configuration: ServiceConfiguration
    do {
      configuration = try ServiceConfiguration.fromEnvironment(
        service: service,
        environment: environment
      )
    } catch {
      FileHandle.standardError.write(Data("\(service.processName): \(error)\n".utf8))
      exit(1)
    }
    LoggingSystem.bootstrapSafeMap(
      label: service.processName,
      level: configuration.logLevel,
      format: configuration.logFormat
    )
    let logger = Logger(label: service.processName)
    do {
      let host = try ServiceHost(configuration: configuration, logger: logger)
      MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: host.metrics.registry))
      logger.info(
        "starting",
        metadata: [
          "grpc_port": "\(configuration.grpcPort)",
          "database":
            "\(configuration.database.host):\(configuration.database.port)/\(configuration.database.database)",
          "database_user": "\(configuration.database.username)",
        ]
      )
      try await body(host, environment)
      logger.info("stopped")
    } catch {
      logger.critical("failed", metadata: ["error": "\(String(describing: error))"])
      exit(1)
    }
  }
}
