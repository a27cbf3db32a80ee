import Foundation
public import GRPCCore
import SafeMapAPI
import SwiftProtobuf

/// gRPC server reflection, `grpc.reflection.v1` and the older `v1alpha`, so that `grpcurl
/// list` and `describe` work without the `.proto` files (the package that provides it for
/// grpc-swift elsewhere is not available here).
///
/// Answers from the descriptors generated from `Proto/` (`SafeMapDescriptorSet`): every file
/// and what it imports. Each request on the stream gets one response, in order, and a question
/// it cannot answer gets an `error_response` on the stream (NOT_FOUND, INVALID_ARGUMENT)
/// rather than ending it, as the protocol says.
public struct ReflectionService: RegistrableRPCService {
  let index: DescriptorIndex
  let serviceNames: [String]

  /// The fully qualified names of both versions of this service.
  public static let serviceNames = [
    Grpc_Reflection_V1_ServerReflection.descriptor.fullyQualifiedService,
    Grpc_Reflection_V1alpha_ServerReflection.descriptor.fullyQualifiedService,
  ]

  /// The services of this server (`list_services` answers with these, sorted) must be in the
  /// descriptor set.
  public init(serving services: [String]) throws {
    self.index = try DescriptorIndex(base64: SafeMapDescriptorSet.base64)
    self.serviceNames = Array(Set(services + Self.serviceNames)).sorted()
  }

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    V1(reflection: self).registerMethods(with: &router)
    V1Alpha(reflection: self).registerMethods(with: &router)
  }

  /// The answer to one request.
  func respond(to request: Grpc_Reflection_V1_ServerReflectionRequest)
    -> Grpc_Reflection_V1_ServerReflectionResponse
  {
    var response = Grpc_Reflection_V1_ServerReflectionResponse()
    response.validHost = request.host
    response.originalRequest = request
    switch request.messageRequest {
    case .listServices:
      response.listServicesResponse = .with {
        $0.service = serviceNames.map { name in .with { $0.name = name } }
      }
    case .fileByFilename(let name):
      response.messageResponse = fileResponse(
        index.withDependencies(name),
        missing: "no file named \(name)"
      )
    case .fileContainingSymbol(let symbol):
      response.messageResponse = fileResponse(
        index.symbols[symbol].flatMap(index.withDependencies),
        missing: "no symbol named \(symbol)"
      )
    case .fileContainingExtension(let request):
      // Proto/ declares no extensions.
      response.messageResponse = error(
        .notFound,
        "no extension \(request.extensionNumber) of \(request.containingType)"
      )
    case .allExtensionNumbersOfType(let type):
      if index.messageTypes.contains(type) {
        response.allExtensionNumbersResponse = .with { $0.baseTypeName = type }
      } else {
        response.messageResponse = error(.notFound, "no message type named \(type)")
      }
    case nil:
      response.messageResponse = error(
        .invalidArgument,
        "message_request: set one of file_by_filename, file_containing_symbol, "
          + "file_containing_extension, all_extension_numbers_of_type, list_services"
      )
    }
    return response
  }

  private func fileResponse(_ files: [Data]?, missing: String)
    -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse
  {
    guard let files else { return error(.notFound, missing) }
    return .fileDescriptorResponse(.with { $0.fileDescriptorProto = files })
  }

  private func error(_ code: RPCError.Code, _ message: String)
    -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse
  {
    .errorResponse(
      .with {
        $0.errorCode = Int32(code.rawValue)
        $0.errorMessage = message
      }
    )
  }
}
