public import GRPCCore
public import SafeMapCore

/// Holds each client of the methods anyone may call without a token (`Login`, the public map,
/// reference data) to a request rate, before any handler, database or password hash runs:
/// past it the call is refused with RESOURCE_EXHAUSTED and the seconds to wait, which the
/// client also finds in the `retry-after` trailer.
///
/// The client is `context.clientAddress`: the browser behind web-service (when web-service is
/// a trusted proxy, see ``ForwardedClientInterceptor``, which must run first), otherwise the
/// peer. IPv6 clients count per /64.
public struct AnonymousRateLimitInterceptor: ServerInterceptor {
  public let limiter: ClientRateLimiter

  public init(limiter: ClientRateLimiter) {
    self.limiter = limiter
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next:
      @Sendable (StreamingServerRequest<Input>, ServerContext) async throws
      -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    if case .limited(let wait) = limiter.admit(context.clientAddress) {
      throw RPCError(
        code: .resourceExhausted,
        message: "too many requests from this address to \(context.descriptor.method); "
          + "retry in \(wait) s",
        metadata: ["retry-after": "\(wait)"]
      )
    }
    return try await next(request, context)
  }
}
