public import GRPCCore
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
    // A streaming body runs after `next` returns: it sees the client too.
    if case .success(var contents) = response.accepted {
      let producer = contents.producer
      contents.producer = { writer in
        try await Self.$client.withValue(client) { try await producer(writer) }
      }
      response.accepted = .success(contents)
    }
    return response
  }
}
