public import GRPCCore
import SafeMapAuth
public import SafeMapCore

/// Believes the `x-forwarded-for` metadata (the browser's address, sent by web-service) only
/// from peers configured as trusted proxies (`SAFEMAP_TRUSTED_PROXIES`): anyone else could
/// name any address and escape the per-address login throttle. Handlers read the result as
/// `context.clientAddress`.
public struct ForwardedClientInterceptor: ServerInterceptor {
  /// The metadata key web-service sends.
  public static let metadataKey = "x-forwarded-for"

  @TaskLocal static var client: String?

  let proxies: TrustedProxies

  public init(proxies: TrustedProxies) {
    self.proxies = proxies
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next:
      @Sendable (StreamingServerRequest<Input>, ServerContext) async throws
      -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    let forwarded = request.metadata[stringValues: Self.metadataKey].first(where: { _ in true })
    guard !proxies.isEmpty, let forwarded else {
      return try await next(request, context)
    }
    let client = proxies.client(peer: context.peerAddress, forwardedFor: forwarded)
    var response = try await Self.$client.withValue(client) { try await next(request, context) }
    // A streaming body sees the client too.
    response.bodyRuns { body in try await Self.$client.withValue(client) { try await body() } }
    return response
  }
}
