import GRPCCore
import SafeMapAPI
import SwiftProtobuf

extension ReflectionService {
  /// `grpc.reflection.v1`: one response per request, written before the next is read, so a
  /// stream holds at most one answer however long the client keeps it open.
  struct V1: Grpc_Reflection_V1_ServerReflection.SimpleServiceProtocol {
    let reflection: ReflectionService

    func serverReflectionInfo(
      request: RPCAsyncSequence<Grpc_Reflection_V1_ServerReflectionRequest, any Error>,
      response: RPCWriter<Grpc_Reflection_V1_ServerReflectionResponse>,
      context: ServerContext
    ) async throws {
      for try await message in request {
        try await response.write(reflection.respond(to: message))
      }
    }
  }

  /// `grpc.reflection.v1alpha`: the same messages under the older package, translated
  /// through their wire form, which the two versions share.
  struct V1Alpha: Grpc_Reflection_V1alpha_ServerReflection.SimpleServiceProtocol {
    let reflection: ReflectionService

    func serverReflectionInfo(
      request: RPCAsyncSequence<Grpc_Reflection_V1alpha_ServerReflectionRequest, any Error>,
      response: RPCWriter<Grpc_Reflection_V1alpha_ServerReflectionResponse>,
      context: ServerContext
    ) async throws {
      for try await message in request {
        let asked = try Grpc_Reflection_V1_ServerReflectionRequest(
          serializedBytes: try message.serializedBytes() as [UInt8]
        )
        let answer = reflection.respond(to: asked)
        try await response.write(
          Grpc_Reflection_V1alpha_ServerReflectionResponse(
            serializedBytes: try answer.serializedBytes() as [UInt8]
          )
        )
      }
    }
  }
}
