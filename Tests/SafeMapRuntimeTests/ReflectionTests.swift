import Foundation
import SafeMapClient
import SafeMapRuntime
import SafeMapTestSupport
import Testing

/// Server reflection as a user's tool sees it: the reflection client from PyPI
/// (grpcio-reflection, installed by scripts/setup.sh into .build-python) lists and describes a
/// running service over TCP, without the `.proto` files.
@Suite("Server reflection")
struct ReflectionTests {
  /// What `Tests/Reflection/reflection_client.py` printed about the service on `port`.
  static func ask(port: Int, service: String, message: String) async throws -> [String: Any] {
    try await PythonCheck.run(
      "Reflection/reflection_client.py",
      ["--port", String(port), "--service", service, "--message", message]
    )
  }

  @Test("v1alpha: list the services, describe a service's methods and a message's fields")
  func describeWithV1Alpha() async throws {
    let database = try await PostgresCluster.shared().makeMigratedDatabase()
    let account = try await TestServices.start(.account, database: database)
    defer { Task { try? await account.stop() } }
    let answer = try await Self.ask(
      port: account.port,
      service: "safemap.account.v1.AccountService",
      message: "safemap.account.v1.LoginRequest"
    )
    let described = try #require(answer["v1alpha"] as? [String: Any])
    #expect(
      described["services"] as? [String]
        == [
          "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection", "safemap.account.v1.AccountService",
          "safemap.account.v1.CredentialService", "safemap.account.v1.FacilityService",
          "safemap.account.v1.NominationService",
        ]
    )
    let methods = try #require(described["methods"] as? [String: [String]])
    #expect(
      methods["Login"] == ["safemap.account.v1.LoginRequest", "safemap.account.v1.LoginResponse"]
    )
    #expect(methods["WhoAmI"] != nil && methods.count >= 10)
    let fields = try #require(described["fields"] as? [String: Int])
    #expect(fields["username"] != nil && fields["password"] != nil)
    #expect(described["unknown_message"] as? String == "not found")
  }

  @Test("v1: services, a symbol's file with its imports, NOT_FOUND for an unknown file")
  func askV1() async throws {
    let database = try await PostgresCluster.shared().makeMigratedDatabase()
    let account = try await TestServices.start(.account, database: database)
    defer { Task { try? await account.stop() } }
    let answer = try await Self.ask(
      port: account.port,
      service: "safemap.account.v1.AccountService",
      message: "safemap.account.v1.LoginRequest"
    )
    let answers = try #require(answer["v1"] as? [Any])
    try #require(answers.count == 4)
    #expect((answers[0] as? [String])?.contains("safemap.account.v1.FacilityService") == true)
    let files = try #require(answers[1] as? [String])
    #expect(files.first == "safemap/account/v1/account.proto")
    #expect(files.contains("google/protobuf/timestamp.proto"))
    #expect(files.contains("safemap/common/v1/common.proto"))
    #expect(Set(files).count == files.count, "each file once")
    #expect((answers[2] as? [String: Int])?["error_code"] == 5)
    #expect(answers[3] as? String == "all_extension_numbers_response")
  }
}
