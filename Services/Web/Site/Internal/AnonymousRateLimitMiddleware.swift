import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import SafeMapCore

/// Holds each browser without a session (IPv6: each /64) to a request rate on the pages anyone
/// can open — the public map, its points, the sign-in page and the sign-in itself — answering
/// 429 with `Retry-After` past it. Officials signed in are not held to it: their pages cost
/// the services under their own token, which the services account for.
struct AnonymousRateLimitMiddleware: RouterMiddleware {
  typealias Context = WebContext
  static let routes: Set<String> = ["/", "/api/public-map", "/login"]
  let limiter: ClientRateLimiter

  func handle(
    _ request: Request,
    context: WebContext,
    next: (Request, WebContext) async throws -> Response
  ) async throws -> Response {
    guard context.session == nil, Self.routes.contains(request.uri.path) else {
      return try await next(request, context)
    }
    if case .limited(let wait) = limiter.admit(context.clientAddress) {
      return Response(
        status: .tooManyRequests,
        headers: [
          .contentType: "text/plain; charset=utf-8", .retryAfter: String(wait),
          .cacheControl: "no-store",
        ],
        body: .init(
          byteBuffer: ByteBuffer(
            string: "Quá nhiều yêu cầu từ địa chỉ này. Hãy thử lại sau \(wait) giây.\n"
          )
        )
      )
    }
    return try await next(request, context)
  }
}
