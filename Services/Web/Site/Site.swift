import Foundation
import GRPCCore
import Hummingbird
import Logging
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// What every page handler shares: the services, the sessions, the templates, the
/// configuration.
struct Site: Sendable {
  let backend: Backend
  let sessions: SessionStore
  /// The provinces' names, so pages name a province ("Bình Dương"), not its code.
  let provinces: ProvinceNames
  let templates: Templates
  let configuration: WebConfiguration
  let logger: Logger

  var cookies: CookieNames { CookieNames(secure: configuration.secureCookies) }

  /// Metadata for a call on behalf of the session: its access token (account-service mints
  /// a fresh one with each lookup, ``SessionStore``) and the browser's address.
  func metadata(_ context: WebContext) async throws -> Metadata {
    let session = try context.signedIn
    return Backend.metadata(token: session.accessToken, client: context.clientAddress)
  }

  /// The province a page is about: the ministry names one (`?province=`, empty for national
  /// views where the service allows them); everyone else has their own.
  func province(_ request: Request, _ session: WebSession) throws -> String {
    guard session.account.role == .ministryAdmin else { return session.account.provinceCode }
    let province = request.uri.queryParameters["province"].map(String.init) ?? ""
    guard province.isEmpty || Tenant.province(province) != nil else {
      throw WebError.badRequest("province: mã tỉnh gồm hai chữ số.")
    }
    return province
  }

}
