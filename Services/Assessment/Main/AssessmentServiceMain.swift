import SafeMapAssessment
import SafeMapClient
import SafeMapRuntime

/// assessment-service: reads configuration, wires, runs. Everything else is in SafeMapAssessment.
@main
enum AssessmentServiceMain {
  static func main() async {
    await ServiceMain.run(.assessment) { host, _ in
      try await AssessmentServer.run(host: host)
    }
  }
}
