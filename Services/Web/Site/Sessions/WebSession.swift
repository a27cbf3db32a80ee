import Foundation
import SafeMapAPI
import SwiftProtobuf

/// What the server keeps for a signed-in browser: the browser holds only the session's id, in
/// an HttpOnly cookie; the gRPC tokens never reach it.
struct WebSession: Sendable {
  /// The cookie's value: 256 random bits.
  let id: String
  /// Every form of the session carries it; a POST without it is refused.
  let csrfToken: String
  var tokens: Tokens
  var account: SignedInAccount
  let created: Date
  var lastSeen: Date

  struct Tokens: Sendable {
    var access: String
    var accessExpiry: Date
    var refresh: String
  }
}

/// Who is signed in, as account-service described the account at login.
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

extension WebSession.Tokens {
  init(_ pair: Safemap_Account_V1_TokenPair) {
    access = pair.accessToken
    accessExpiry = pair.accessTokenExpireTime.date
    refresh = pair.refreshToken
  }
}
