import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapClient
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Testing

typealias ServingStatus = Grpc_Health_V1_HealthCheckResponse.ServingStatus

func check(port: Int, service: String) async throws -> ServingStatus {
  try await withLocalClient(port: port) { client in
    try await Grpc_Health_V1_Health.Client(wrapping: client)
      .check(.with { $0.service = service }).status
  }
}

/// Health over real TCP, without a token, as probes and Kubernetes call it.
@Suite("Health")
struct HealthTests {
  static let account = Task<RunningService, any Error> {
    let database = try await PostgresCluster.shared().makeMigratedDatabase()
    return try await TestServices.start(.account, database: database)
  }

  @Test("Check answers SERVING for the server and each of its services, without a token")
  func checkKnownNames() async throws {
    let port = try await Self.account.value.port
    let serving = try await eventually { try await check(port: port, service: "") == .serving }
    #expect(serving)
    for name in SafeMapService.account.grpcServiceNames {
      #expect(try await check(port: port, service: name) == .serving)
    }
  }

  @Test("safemap-admin health exits 0 for a SERVING server and 1 for a closed port")
  func adminHealthCommand() async throws {
    let port = try await Self.account.value.port
    _ = try await eventually { try await check(port: port, service: "") == .serving }
    let admin = try Executables.path("safemap-admin")
    let serving = try await Shell.run(admin, ["health", "127.0.0.1:\(port)"])
    #expect(serving.contains("serving"))
    let closed = try FreePort.find()
    await #expect(throws: Shell.Failure.self) {
      try await Shell.run(admin, ["health", "127.0.0.1:\(closed)", "--timeout", "2"])
    }
  }

  @Test("Check answers NOT_FOUND for a service this server does not have")
  func checkUnknownName() async throws {
    let port = try await Self.account.value.port
    await #expect(
      performing: {
        try await check(port: port, service: "safemap.reporting.v1.ReportingService")
      },
      throws: { ($0 as? RPCError)?.code == .notFound }
    )
  }

  @Test("Watch sends the current status at once, and SERVICE_UNKNOWN for unknown names")
  func watchSendsCurrentStatus() async throws {
    let port = try await Self.account.value.port
    _ = try await eventually { try await check(port: port, service: "") == .serving }
    let first = { (name: String) in
      try await withLocalClient(port: port) { client in
        try await Grpc_Health_V1_Health.Client(wrapping: client).watch(
          .with { $0.service = name }
        ) { response in
          for try await message in response.messages { return message.status }
          return ServingStatus.unknown
        }
      }
    }
    #expect(try await first("") == .serving)
    #expect(try await first("no.such.Service") == .serviceUnknown)
  }
}
