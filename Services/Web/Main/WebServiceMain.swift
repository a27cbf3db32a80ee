import Foundation
import Logging
import SafeMapClient
import SafeMapWeb

/// web-service: reads configuration, wires, runs. Everything else is in SafeMapWeb.
@main
enum WebServiceMain {
  static func main() async {
    let configuration: WebConfiguration
    do {
      configuration = try WebConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
    } catch {
      FileHandle.standardError.write(Data("web-service: \(error)\n".utf8))
      exit(1)
    }
    LoggingSystem.bootstrapSafeMap(
      label: "web-service",
      level: configuration.logLevel,
      format: configuration.logFormat
    )
    let logger = Logger(label: "web-service")
    do {
      let server = try WebServer(configuration: configuration, logger: logger)
      logger.info(
        "starting",
        metadata: [
          "port": "\(configuration.port)", "account": "\(configuration.accountService)",
          "assessment": "\(configuration.assessmentService)",
          "reporting": "\(configuration.reportingService)",
        ]
      )
      try await server.run()
      logger.info("stopped")
    } catch {
      logger.critical("failed", metadata: ["error": "\(String(describing: error))"])
      exit(1)
    }
  }
}
