import SafeMapClient
import SafeMapReporting
import SafeMapRuntime

/// reporting-service: reads configuration, wires, runs. Everything else is in SafeMapReporting.
@main
enum ReportingServiceMain {
  static func main() async {
    await ServiceMain.run(.reporting) { host, _ in
      try await ReportingServer.run(host: host)
    }
  }
}
