import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import SafeMapCore

/// Headers every response carries: a Content-Security-Policy without inline scripts or
/// styles, no framing, no referrer leaving the site, no MIME sniffing.
struct SecurityHeadersMiddleware: RouterMiddleware {
  typealias Context = WebContext
  let contentSecurityPolicy: String
  /// Served over HTTPS (secure cookies): browsers are told to use nothing else for a year.
  let strictTransport: Bool

  init(tileOrigin: String?, strictTransport: Bool = false) {
    self.strictTransport = strictTransport
    let images = ["'self'", "data:"] + (tileOrigin.map { [$0] } ?? [])
    contentSecurityPolicy = [
      "default-src 'self'", "script-src 'self'", "style-src 'self'",
      "img-src \(images.joined(separator: " "))", "connect-src 'self'", "font-src 'self'",
      "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")
  }

  func handle(
    _ request: Request,
    context: WebContext,
    next: (Request, WebContext) async throws -> Response
  ) async throws -> Response {
    var response = try await next(request, context)
    response.headers[.contentSecurityPolicy] = contentSecurityPolicy
    response.headers[.xContentTypeOptions] = "nosniff"
    response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
    response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
    response.headers[HTTPField.Name("Permissions-Policy")!] = "geolocation=(), camera=()"
    response.headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
    if strictTransport {
      response.headers[HTTPField.Name("Strict-Transport-Security")!] =
        "max-age=31536000; includeSubDomains"
    }
    return response
  }
}
