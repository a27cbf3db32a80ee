import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// Sign-in, sign-out and the password change a one-time password leads to.
struct SignInPages {
  let site: Site

  static func loginPath(returningTo path: String) -> String {
    guard isLocalPath(path), path != "/login" else { return "/login" }
    return FormEncoding.link("/login", [("next", path)])
  }

  /// A path on this site and nothing else: it starts with one `/`, and holds no backslash and
  /// no control character (browsers drop tabs and newlines, so `/\t/evil.example` would be
  /// read as `//evil.example`, another site).
  static func isLocalPath(_ path: String) -> Bool {
    path.hasPrefix("/") && !path.hasPrefix("//") && path.utf8.count <= 2_048
      && !path.unicodeScalars.contains { $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }
  }

  func register(_ routes: Routes) {
    routes.open.get("/login") { request, context in try await loginForm(request, context) }
    routes.open.post("/login") { request, context in try await login(request, context) }
    routes.open.post("/logout") { request, context in try await logout(request, context) }
    routes.signedIn.get("/password") { request, context in try await passwordForm(context) }
    routes.signedIn.post("/password") { request, context in
      try await changePassword(request, context)
    }
  }

  struct LoginPage {
    var chrome: Chrome
    var csrf: String
    var next: String
    var username: String
    var error: String?
  }

  func loginForm(
    _ request: Request,
    _ context: WebContext,
    username: String = "",
    error: String? = nil,
    status: HTTPResponse.Status = .ok
  ) async throws -> Response {
    let token = Secret.randomToken()
    var response = site.templates.page(
      "login",
      LoginPage(
        chrome: Chrome(title: "Đăng nhập", session: nil),
        csrf: token,
        next: safeNext(request.uri.queryParameters["next"].map(String.init)),
        username: username,
        error: error
      ),
      status: status
    )
    response.setCookie(cookie(site.cookies.login, token, maxAge: 3600))
    return response
  }

  func login(_ request: Request, _ context: WebContext) async throws -> Response {
    let form = try await Form.read(request, context: context)
    let username = try form.text("username", label: "Tên đăng nhập", maximum: 128)
    let password = form["password"] ?? ""
    guard !password.isEmpty, password.count <= 1_024 else {
      throw WebError.badRequest("Mật khẩu: bắt buộc.")
    }
    // Signing in again (as someone else, perhaps) ends the session the browser had.
    if let previous = context.session {
      try? await site.sessions.end(previous.id, client: context.clientAddress)
    }
    let opened: (session: WebSession, deviceToken: String)
    do {
      opened = try await site.sessions.create(
        username: username,
        password: password,
        deviceToken: request.cookies[site.cookies.device]?.value ?? "",
        client: context.clientAddress
      )
    } catch let error as RPCError where error.code == .unauthenticated {
      return try await loginForm(
        request,
        context,
        username: username,
        error: "Sai tên đăng nhập hoặc mật khẩu.",
        status: .unauthorized
      )
    } catch let error as RPCError where error.code == .resourceExhausted {
      var page = try await loginForm(
        request,
        context,
        username: username,
        error: "Đăng nhập sai quá nhiều lần. Hãy thử lại sau ít phút.",
        status: .tooManyRequests
      )
      page.headers[.retryAfter] = WebError(error).retryAfter.map(String.init)
      return page
    }
    let account = opened.session.account
    let destination =
      account.passwordChangeRequired ? "/password" : safeNext(form["next"], for: account)
    var redirect = Response.redirect(to: destination, type: .found)
    setSessionCookies(&redirect, opened.session, deviceToken: opened.deviceToken)
    redirect.setCookie(cookie(site.cookies.login, "", maxAge: 0))
    return redirect
  }

  /// The session cookie (ends with the browser) and the device cookie (180 days).
  private func setSessionCookies(
    _ response: inout Response,
    _ session: WebSession,
    deviceToken: String
  ) {
    response.setCookie(cookie(site.cookies.session, session.id, maxAge: nil))
    if !deviceToken.isEmpty {
      response.setCookie(cookie(site.cookies.device, deviceToken, maxAge: 180 * 86_400))
    }
  }

  func logout(_ request: Request, _ context: WebContext) async throws -> Response {
    if let session = context.session {
      try? await site.sessions.end(session.id, client: context.clientAddress)
    }
    var redirect = Response.redirect(to: "/", type: .found)
    redirect.setCookie(cookie(site.cookies.session, "", maxAge: 0))
    return redirect
  }

  struct PasswordPage {
    var chrome: Chrome
    var required: Bool
    var error: String?
  }

  func passwordForm(
    _ context: WebContext,
    error: String? = nil,
    status: HTTPResponse.Status = .ok
  ) async throws -> Response {
    let session = try context.signedIn
    return site.templates.page(
      "password",
      PasswordPage(
        chrome: Chrome(title: "Đổi mật khẩu", session: session),
        required: session.account.passwordChangeRequired,
        error: error
      ),
      status: status
    )
  }

  func changePassword(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let form = try await Form.read(request, context: context)
    let current = form["current_password"] ?? ""
    let new = form["new_password"] ?? ""
    guard new == form["confirm_password"] else {
      return try await passwordForm(
        context,
        error: "Mật khẩu mới và mật khẩu nhập lại không khớp.",
        status: .badRequest
      )
    }
    do {
      _ = try await site.backend.accounts.changePassword(
        .with {
          $0.currentPassword = current
          $0.newPassword = new
        },
        metadata: try await site.metadata(context)
      )
    } catch let error as RPCError
      where [.invalidArgument, .permissionDenied, .failedPrecondition].contains(error.code)
    {
      return try await passwordForm(
        context,
        error: Self.passwordProblem(error),
        status: .badRequest
      )
    }
    // The change ended every session of the account, this one too: the browser gets a new
    // session id (a copy of the old cookie opens nothing).
    await site.sessions.forget(session.id)
    let opened = try await site.sessions.create(
      username: session.account.username,
      password: new,
      deviceToken: request.cookies[site.cookies.device]?.value ?? "",
      client: context.clientAddress
    )
    var redirect = Response.redirect(to: Self.home(opened.session.account), type: .found)
    setSessionCookies(&redirect, opened.session, deviceToken: opened.deviceToken)
    return redirect
  }

  /// The service's reason in Vietnamese where it is one the policy names.
  static func passwordProblem(_ error: RPCError) -> String {
    let message = error.message
    if message.contains("current_password") { return "Mật khẩu hiện tại không đúng." }
    if message.contains("common") { return "Mật khẩu mới quá phổ biến, hãy chọn mật khẩu khác." }
    if message.contains("username") { return "Mật khẩu mới không được trùng tên đăng nhập." }
    if message.contains("8") || message.contains("128") {
      return "Mật khẩu mới phải dài từ 8 đến 128 ký tự."
    }
    return "Không đổi được mật khẩu: \(message)"
  }

  /// Where an account starts: officials on the dashboard, facilities on their own page.
  static func home(_ account: SignedInAccount) -> String {
    account.isFacility ? "/facility" : "/dashboard"
  }

  /// A `next` that stays on this site; otherwise the account's home (or the map).
  private func safeNext(_ next: String?, for account: SignedInAccount? = nil) -> String {
    if let next, Self.isLocalPath(next), next != "/login" {
      return next
    }
    return account.map(Self.home) ?? ""
  }

  private func cookie(_ name: String, _ value: String, maxAge: Int?) -> Cookie {
    Cookie(
      name: name,
      value: value,
      maxAge: maxAge,
      path: "/",
      secure: site.configuration.secureCookies,
      httpOnly: true,
      sameSite: .strict
    )
  }
}
