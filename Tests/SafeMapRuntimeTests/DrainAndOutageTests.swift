import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Logging
import PostgresNIO
import SafeMapAPI
import SafeMapClient
import SafeMapDatabase
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Synchronization
import Testing

/// A method that takes a while, to have a call in flight during shutdown.
struct SlowService: RegistrableRPCService {
  static let method = MethodDescriptor(fullyQualifiedService: "test.Slow", method: "Wait")
  /// Calls that have reached the handler.
  static let started = Mutex(0)

  func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerHandler(
      forMethod: Self.method,
      deserializer: ProtobufDeserializer<Google_Protobuf_Duration>(),
      serializer: ProtobufSerializer<Google_Protobuf_StringValue>()
    ) { request, _ in
      var wait = Google_Protobuf_Duration()
      for try await message in request.messages { wait = message }
      SlowService.started.withLock { $0 += 1 }
      try await Task.sleep(for: .milliseconds(Int64(wait.nanos / 1_000_000)))
      return StreamingServerResponse(single: ServerResponse(message: .init("done")))
    }
  }
}

func callSlow(port: Int, milliseconds: Int32) async throws -> String {
  try await withLocalClient(port: port) { client in
    try await client.unary(
      request: ClientRequest(
        message: Google_Protobuf_Duration(seconds: 0, nanos: milliseconds * 1_000_000)
      ),
      descriptor: SlowService.method,
      serializer: ProtobufSerializer<Google_Protobuf_Duration>(),
      deserializer: ProtobufDeserializer<Google_Protobuf_StringValue>(),
      options: .defaults
    ) { try $0.message.value }
  }
}

@Suite("Shutdown and outages")
struct DrainAndOutageTests {
  @Test("graceful shutdown lets an in-flight call finish")
  func drainFinishesInFlightCalls() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    var logger = Logger(label: "test.drain")
    logger.logLevel = .warning
    let host = try ServiceHost(
      configuration: TestServices.configuration(.reporting, cluster: cluster, database: database),
      logger: logger
    )
    let running = Task {
      try await host.run(
        services: [SlowService()],
        keySource: StaticKeySource(),
        publicMethods: [SlowService.method]
      )
    }
    let port = try await host.listeningPort()
    let before = SlowService.started.withLock { $0 }
    async let answer = callSlow(port: port, milliseconds: 800)
    // Shut down only once the call is in the handler.
    #expect(await eventually { SlowService.started.withLock { $0 } > before })
    await host.shutdown()
    #expect(try await answer == "done")
    try await running.value
  }

  @Test("health is NOT_SERVING while the database is down and SERVING once it is back")
  func healthFollowsTheDatabase() async throws {
    // A cluster of its own: the shared one must stay up for the other suites.
    let managed = try await ManagedCluster.start()
    let cluster = PostgresCluster(managed: managed)
    try await cluster.createMigratedDatabase("outage")
    let service = try await TestServices.start(
      .account,
      configuration: TestServices.configuration(.account, cluster: cluster, database: "outage")
    )
    let port = service.port
    let status = { @Sendable in try? await check(port: port, service: "") }

    #expect(await eventually { await status() == .serving })
    try await managed.stop()
    #expect(await eventually { await status() == .notServing })
    try await managed.restart()
    #expect(await eventually(timeout: .seconds(20)) { await status() == .serving })

    try await service.stop()
    await managed.destroy()
  }
}
