public import GRPCCore
public import SafeMapCore

/// The verified caller of the RPC being served.
public enum RequestPrincipal {
  /// Set by ``AuthInterceptor`` for the whole handler, streaming bodies included.
  @TaskLocal public static var current: Principal?

  /// The caller's `authorization` header value, to forward to another service on the caller's
  /// behalf (so that service applies the caller's scope, not ours).
  @TaskLocal public static var authorization: String?

  /// The caller, or `UNAUTHENTICATED` for a handler reached without one (a wiring mistake).
  public static func require() throws -> Principal {
    guard let principal = current else {
      throw RPCError(code: .unauthenticated, message: "authentication required")
    }
    return principal
  }
}

/// Authenticates every RPC it is applied to from the `authorization: Bearer <token>` metadata.
///
/// Missing, malformed, expired, forged, wrong-audience and `alg: none` tokens are refused with
/// `UNAUTHENTICATED` before the handler runs. Methods in `publicMethods` (login, token refresh,
/// the signing keys) pass without a token. While a token says the password must be changed,
/// only the methods in `allowedDuringPasswordChange` run; the rest answer
/// `FAILED_PRECONDITION`. Apply it to everything but `grpc.health.v1.Health`: probes carry no
/// token.
public struct AuthInterceptor: ServerInterceptor {
  public let verifier: TokenVerifier
  public let publicMethods: Set<MethodDescriptor>
  public let allowedDuringPasswordChange: Set<MethodDescriptor>

  public init(
    verifier: TokenVerifier,
    publicMethods: Set<MethodDescriptor> = [],
    allowedDuringPasswordChange: Set<MethodDescriptor> = []
  ) {
    self.verifier = verifier
    self.publicMethods = publicMethods
    self.allowedDuringPasswordChange = allowedDuringPasswordChange
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next:
      @Sendable (StreamingServerRequest<Input>, ServerContext) async throws
      -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    if publicMethods.contains(context.descriptor) {
      return try await next(request, context)
    }
    let principal = try await authenticate(request.metadata)
    let authorization = request.metadata[stringValues: "authorization"].first(where: { _ in true })
    if principal.passwordChangeRequired
      && !allowedDuringPasswordChange.contains(context.descriptor)
    {
      throw RPCError(
        code: .failedPrecondition,
        message: "password change required: call ChangePassword with the one-time password first"
      )
    }
    var response = try await RequestPrincipal.$authorization.withValue(authorization) {
      try await RequestPrincipal.$current.withValue(principal) { try await next(request, context) }
    }
    // A server-streaming body sees the principal too.
    response.bodyRuns { body in
      try await RequestPrincipal.$authorization.withValue(authorization) {
        try await RequestPrincipal.$current.withValue(principal) { try await body() }
      }
    }
    return response
  }

  func authenticate(_ metadata: Metadata) async throws -> Principal {
    let values = Array(metadata[stringValues: "authorization"])
    guard let header = values.first else {
      throw RPCError(code: .unauthenticated, message: "missing authorization: Bearer <token>")
    }
    guard values.count == 1 else {
      throw RPCError(code: .unauthenticated, message: "more than one authorization header")
    }
    let scheme = header.prefix(7)
    guard scheme.lowercased() == "bearer ", header.count > 7 else {
      throw RPCError(code: .unauthenticated, message: "authorization must be Bearer <token>")
    }
    return try await verifier.verify(String(header.dropFirst(7)))
  }
}
