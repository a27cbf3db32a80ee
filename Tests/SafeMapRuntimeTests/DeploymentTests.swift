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
    // The script exits 1 listing every problem; that failure carries its output.
    let summary = try await PythonCheck.run("Deploy/validate_deploy.py")
    #expect(summary["problems"] as? [String] == [])
    for overlay in ["small", "national"] {
      let rendered = try #require(summary[overlay] as? [String: Any])
      #expect(
        rendered["objects"] as? Int == 24,
        "namespace, config, job, 4 × 4 per service, 5 network policies"
      )
    }
    let national = try #require(summary["national"] as? [String: Any])
    #expect(
      (national["min_replicas"] as? [String: Int])?.values.allSatisfy { $0 >= 3 } == true,
      "the national overlay keeps three of each"
    )
    #expect(
      summary["compose_services"] as? [String]
        == ["account", "assessment", "migrate", "postgres", "reporting", "roles", "web"]
    )
  }
}
