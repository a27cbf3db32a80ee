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

/// Turns every error into a page in Vietnamese (never a stack trace): ``WebError``s say what
/// they say, a service's refusal becomes its sentence, an expired session goes to sign-in.
struct ErrorPageMiddleware: RouterMiddleware {
  typealias Context = WebContext
  let templates: Templates
  let logger: Logger

  struct ErrorPage {
    var chrome: Chrome
    var status: Int
    var message: String
  }

  func handle(
    _ request: Request,
    context: WebContext,
    next: (Request, WebContext) async throws -> Response
  ) async throws -> Response {
    let shown: WebError
    do {
      return try await next(request, context)
    } catch let failure as WebError {
      shown = failure
    } catch let failure as RPCError where failure.code == .unauthenticated {
      // The tokens ran out or were revoked: sign in again, then come back.
      return Response.redirect(to: SignInPages.loginPath(returningTo: request.uri.path))
    } catch let failure as RPCError {
      if ![.invalidArgument, .failedPrecondition, .permissionDenied, .notFound].contains(
        failure.code
      ) {
        logger.error(
          "call failed",
          metadata: ["path": "\(request.uri.path)", "error": "\(failure)"]
        )
      }
      shown = WebError(failure)
    } catch let failure as HTTPError {
      shown = WebError(
        status: failure.status,
        message: failure.status == .notFound ? "Không tìm thấy trang này." : "Yêu cầu không hợp lệ."
      )
    } catch {
      logger.error("page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
      shown = WebError(status: .internalServerError, message: "Đã có lỗi. Hãy thử lại sau.")
    }
    let page = ErrorPage(
      chrome: Chrome(title: "Lỗi \(shown.status.code)", session: context.session),
      status: shown.status.code,
      message: shown.message
    )
    var response = templates.page("error", page, status: shown.status)
    if let wait = shown.retryAfter { response.headers[.retryAfter] = String(wait) }
    return response
  }
}

/// Who is asking: the browser's address (believed from `X-Forwarded-For` only when the peer
/// is a configured proxy), the session named by the cookie, and, on every POST, the CSRF
/// token (form field `csrf` or header `X-CSRF-Token`). Until a one-time password is changed,
/// only the password page and sign-out open.
struct SessionMiddleware: RouterMiddleware {
  typealias Context = WebContext
  static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

  /// Routes that take an upload (the issuance CSV) and may send up to the configured body
  /// limit; every other body is a form, and a form over ``maximumFormBytes`` is refused.
  static let uploadRoutes: Set<String> = ["/issue"]
  static let maximumFormBytes = 64 * 1024

  let sessions: SessionStore
  let proxies: TrustedProxies
  let maximumBodyBytes: Int
  let cookies: CookieNames

  func handle(
    _ request: Request,
    context: WebContext,
    next: (Request, WebContext) async throws -> Response
  ) async throws -> Response {
    var context = context
    var request = request
    context.maximumBodyBytes =
      Self.uploadRoutes.contains(request.uri.path) ? maximumBodyBytes : Self.maximumFormBytes
    if let length = request.headers[.contentLength].flatMap({ Int($0) }),
      length > context.maximumBodyBytes
    {
      throw WebError(status: .contentTooLarge, message: "Dữ liệu gửi lên quá lớn.")
    }
    context.clientAddress = proxies.client(
      peer: context.peerAddress,
      forwardedFor: request.headers[values: HTTPField.Name("X-Forwarded-For")!].last
    )
    if let id = request.cookies[cookies.session]?.value {
      context.session = try await sessions.find(id, client: context.clientAddress)
    }
    if request.method == .post {
      // The sign-in form belongs to no session (even when one is open): its token is the one
      // in its own cookie (double submit; SameSite=Strict keeps other sites from sending
      // either).
      let expected =
        request.uri.path == "/login"
        ? request.cookies[cookies.login]?.value ?? ""
        : context.session?.csrfToken ?? ""
      var submitted = request.headers[Self.csrfHeader]
      if submitted == nil,
        request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true
      {
        let form = try await Form.read(request, context: context)
        submitted = form["csrf"]
        request.body = .init(buffer: ByteBuffer(string: form.encoded))
      }
      guard !expected.isEmpty, let submitted, Secret.equal(submitted.utf8, expected.utf8) else {
        throw WebError.csrf
      }
    }
    if let session = context.session, session.account.passwordChangeRequired,
      !["/password", "/logout"].contains(request.uri.path)
    {
      return .redirect(to: "/password")
    }
    return try await next(request, context)
  }
}

/// `http_requests_total{method,route,status}` and `http_request_duration_seconds{route}`.
struct RequestMetricsMiddleware: RouterMiddleware {
  typealias Context = WebContext
  let registry: PrometheusCollectorRegistry

  func handle(
    _ request: Request,
    context: WebContext,
    next: (Request, WebContext) async throws -> Response
  ) async throws -> Response {
    let start = ContinuousClock.now
    let response = try await next(request, context)
    let route = context.endpointPath ?? "unmatched"
    registry.makeCounter(
      descriptor: .init(
        metricName: "http_requests",
        unitName: "total",
        helpText: "HTTP requests answered, by method, route pattern and status"
      ),
      labels: [
        ("method", request.method.rawValue), ("route", route),
        ("status", String(response.status.code)),
      ]
    ).increment()
    registry.makeDurationHistogram(
      descriptor: .init(
        metricName: "http_request_duration",
        unitName: "seconds",
        helpText: "Time from a request's head to its response's head, by route pattern"
      ),
      labels: [("route", route)],
      buckets: [
        .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(300),
        .seconds(1), .seconds(3), .seconds(10),
      ]
    ).recordNanoseconds((ContinuousClock.now - start).nanoseconds)
    return response
  }
}

extension Duration {
  var nanoseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
  }
}

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
      throw WebError(
        status: .tooManyRequests,
        message: "Quá nhiều yêu cầu từ địa chỉ này. Hãy thử lại sau \(wait) giây.",
        retryAfter: wait
      )
    }
    return try await next(request, context)
  }
}
