import Foundation
public import GRPCCore
import SafeMapAuth
public import SafeMapClient
public import SafeMapCore

/// Believes the `x-forwarded-for` metadata (the browser's address, sent by web-service) only
/// from a trusted proxy (``TrustedProxyPolicy``: a client certificate naming web-service over
/// mutual TLS, a configured address in plaintext): anyone else could name any address and
/// escape the per-address login throttle and rate limits. Handlers read the result as
/// `context.clientAddress`.
public struct ForwardedClientInterceptor: ServerInterceptor {
  /// The metadata key web-service sends.

  @TaskLocal static var client: String?

  let policy: TrustedProxyPolicy

  public init(policy: TrustedProxyPolicy) {
    self.policy = policy
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next:
      @Sendable (StreamingServerRequest<Input>, ServerContext) async throws
      -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    let forwarded = request.metadata[stringValues: ForwardedClient.metadataKey].first(where: { _ in
      true
    })
    guard let forwarded, let client = Self.client(forwarded, policy: policy, context: context)
    else {
      return try await next(request, context)
    }
    var response = try await Self.$client.withValue(client) { try await next(request, context) }
    // A streaming body sees the client too.
    response.bodyRuns { body in try await Self.$client.withValue(client) { try await body() } }
    return response
  }

  /// The client `forwarded` names, when the caller may name one.
  static func client(_ forwarded: String, policy: TrustedProxyPolicy, context: ServerContext)
    -> String?
  {
    guard policy.trusts(context) else { return nil }
    // web-service sends one address; of a list, the hop nearest to it (appended last).
    guard let last = forwarded.split(separator: ",").last else { return nil }
    let address = last.trimmingCharacters(in: .whitespaces)
    return TrustedProxies.isAddress(address) ? address : nil
  }
}
