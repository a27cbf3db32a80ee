import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import SafeMapAPI

/// The page templates (`Templates/*.mustache`, HTML-escaped by default), loaded once.
struct Templates: Sendable {
  let library: MustacheLibrary

  static func load() async throws -> Templates {
    guard let root = Bundle.module.resourcePath else {
      throw WebError(status: .internalServerError, message: "templates missing")
    }
    return Templates(library: try await MustacheLibrary(directory: root + "/Templates"))
  }

  /// An HTML page; `status` for error pages.
  func page(_ name: String, _ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    let html = library.render(object, withTemplate: name) ?? "template \(name) missing"
    return Response(
      status: status,
      headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
      body: .init(byteBuffer: .init(string: html))
    )
  }
}

/// What the layout shows around every page: who is signed in, their links, the CSRF token
/// of the sign-out form.
struct Chrome: Sendable {
  var title: String
  var account: AccountChrome?
  var csrf: String

  struct AccountChrome: Sendable {
    var name: String
    var roleName: String
    var isOfficial: Bool
    var isFacility: Bool
    var isProvinceOfficer: Bool
  }

  init(title: String, session: WebSession?) {
    self.title = title
    csrf = session?.csrfToken ?? ""
    account = session.map { session in
      let account = session.account
      return AccountChrome(
        name: account.displayName.isEmpty ? account.username : account.displayName,
        roleName: Vietnamese.role(account.role),
        isOfficial: account.isOfficial && !account.passwordChangeRequired,
        isFacility: account.isFacility && !account.passwordChangeRequired,
        isProvinceOfficer: account.role == .provinceOfficer && !account.passwordChangeRequired
      )
    }
  }
}
