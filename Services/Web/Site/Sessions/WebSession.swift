import Foundation
import SafeMapAPI
import SwiftProtobuf

/// A signed-in browser as account-service describes it (``SessionStore``): the browser holds
/// only the session's id, in an HttpOnly cookie; access tokens never reach it.
struct WebSession: Sendable {
  /// The cookie's value: `<province>.<id>.<secret>`, 256 random bits, known to
  /// account-service by its hash only.
  let id: String
  /// Every form of the session carries it; a POST without it is refused.
  let csrfToken: String
  /// A fresh access token for the account, minted by account-service.
  var accessToken: String
  var accessExpiry: Date
  var account: SignedInAccount
  /// The session's absolute end.
  var expires: Date

  init(id: String, _ session: Safemap_Account_V1_WebSession) {
    self.id = id
    csrfToken = session.csrfToken
    accessToken = session.accessToken
    accessExpiry = session.accessTokenExpireTime.date
    account = SignedInAccount(
      session.account,
      passwordChangeRequired: session.passwordChangeRequired
    )
    expires = session.expireTime.date
  }
}

/// Who is signed in, as account-service described the account.
struct SignedInAccount: Sendable {
  var accountID: String
  var username: String
  var displayName: String
  var role: Safemap_Common_V1_Role
  var provinceCode: String
  var districtCode: String
  var zoneID: String
  var facilityID: String
  /// Until the one-time password is changed, only the password page opens.
  var passwordChangeRequired: Bool

  init(_ account: Safemap_Account_V1_Account, passwordChangeRequired: Bool) {
    accountID = account.accountID
    username = account.username
    displayName = account.displayName
    role = account.role
    provinceCode = account.scope.provinceCode
    districtCode = account.scope.districtCode
    zoneID = account.scope.zoneID
    facilityID = account.scope.facilityID
    self.passwordChangeRequired = passwordChangeRequired
  }

  var isFacility: Bool { role == .facility }
  var isOfficial: Bool { !isFacility && role != .unspecified }
}
