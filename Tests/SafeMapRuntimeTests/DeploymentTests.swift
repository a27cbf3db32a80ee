import Foundation
import SafeMapTestSupport
import Testing

/// The deployment files as an operator applies them: both Kubernetes overlays render and every
/// object passes the Kubernetes schemas (strict), with the probes, headless Services,
/// autoscalers and drain-friendly disruption budgets the README promises; the compose file
/// gates each service on the one before it.
@Suite("Deployment files")
struct DeploymentTests {
  @Test("the kustomize overlays validate against Kubernetes 1.30 and compose gates on health")
  func overlaysAndCompose() async throws {
    let root = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let python = root.appendingPathComponent(".build-python/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: python) else {
      throw Shell.Failure(description: "\(python) is missing: run scripts/setup.sh --tests")
    }
    let output: String
    do {
      output = try await Shell.run(
        python,
        [root.appendingPathComponent("Tests/Deploy/validate_deploy.py").path]
      )
    } catch let failure as Shell.Failure {
      Issue.record("deployment files: \(failure.description)")
      return
    }
    let json = output.split(separator: "\n").last { $0.hasPrefix("{") } ?? ""
    let summary = try #require(
      try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    )
    #expect(summary["problems"] as? [String] == [])
    for overlay in ["small", "national"] {
      let rendered = try #require(summary[overlay] as? [String: Any])
      #expect(rendered["objects"] as? Int == 15, "namespace, config, job, 3 × 4 per service")
    }
    let national = try #require(summary["national"] as? [String: Any])
    #expect(
      (national["min_replicas"] as? [String: Int])?.values.allSatisfy { $0 >= 3 } == true,
      "the national overlay keeps three of each"
    )
    #expect(
      summary["compose_services"] as? [String]
        == ["account", "assessment", "migrate", "postgres", "reporting", "roles"]
    )
  }
}
