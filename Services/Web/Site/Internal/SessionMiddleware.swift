import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import SafeMapCore

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
