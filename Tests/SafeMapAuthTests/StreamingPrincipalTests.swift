import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import SafeMapAuth
import SafeMapCore
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// The principal must be visible inside server-streaming bodies, which run after the
/// interceptor chain has returned.
@Suite("Principal in streaming handlers")
struct StreamingPrincipalTests {
  static let method = MethodDescriptor(fullyQualifiedService: "test.Who", method: "Stream")

  /// Streams the caller's username three times, read from the task-local inside the body.
  struct WhoService: RegistrableRPCService {
    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
      router.registerHandler(
        forMethod: StreamingPrincipalTests.method,
        deserializer: ProtobufDeserializer<Google_Protobuf_Empty>(),
        serializer: ProtobufSerializer<Google_Protobuf_StringValue>()
      ) { _, _ in
        StreamingServerResponse { writer in
          for _ in 0..<3 {
            let name = RequestPrincipal.current?.username ?? "<none>"
            try await writer.write(Google_Protobuf_StringValue(name))
          }
          return [:]
        }
      }
    }
  }

  @Test("a server-streaming body sees the authenticated principal")
  func streamingBodySeesPrincipal() async throws {
    let verifier = TokenVerifier(audience: TestKeys.audience, issuer: TestKeys.issuer)
    await verifier.setKeys([TestKeys.signingKey.publicKey])
    let server = GRPCServer(
      transport: HTTP2ServerTransport.Posix(
        address: .ipv4(host: "127.0.0.1", port: 0),
        transportSecurity: .plaintext
      ),
      services: [WhoService()],
      interceptors: [AuthInterceptor(verifier: verifier)]
    )
    try await withThrowingDiscardingTaskGroup { group in
      group.addTask { try await server.serve() }
      let address = try await server.listeningAddress
      let port = try #require(address?.ipv4?.port)
      let metadata = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("70"))
      let names = try await withLocalClient(port: port) { client in
        try await client.serverStreaming(
          request: ClientRequest(message: Google_Protobuf_Empty(), metadata: metadata),
          descriptor: Self.method,
          serializer: ProtobufSerializer<Google_Protobuf_Empty>(),
          deserializer: ProtobufDeserializer<Google_Protobuf_StringValue>(),
          options: .defaults
        ) { response in
          var names: [String] = []
          for try await message in response.messages { names.append(message.value) }
          return names
        }
      }
      #expect(names == ["officer70", "officer70", "officer70"])
      server.beginGracefulShutdown()
    }
  }
}
