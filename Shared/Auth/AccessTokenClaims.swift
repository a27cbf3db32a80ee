public import Foundation
public import JWTKit
public import SafeMapCore

/// The claims of a SafeMap access token (docs/architecture.md): who, which role, which part of the
/// country, for which audience, until when. Short names keep the token small.
public struct AccessTokenClaims: JWTPayload, Equatable {
  public var subject: SubjectClaim
  public var username: String
  public var role: String
  public var province: String?
  public var district: String?
  public var zone: String?
  public var facility: String?
  public var audience: AudienceClaim
  public var issuer: IssuerClaim
  public var issuedAt: IssuedAtClaim
  public var expiration: ExpirationClaim
  public var tokenID: IDClaim
  /// Present and true while the account still holds a one-time password.
  public var passwordChangeRequired: Bool?

  enum CodingKeys: String, CodingKey {
    case subject = "sub"
    case username = "usr"
    case role
    case province = "prov"
    case district = "dist"
    case zone
    case facility = "fac"
    case audience = "aud"
    case issuer = "iss"
    case issuedAt = "iat"
    case expiration = "exp"
    case tokenID = "jti"
    case passwordChangeRequired = "pwc"
  }

  public init(
    principal: Principal,
    audience: String,
    issuer: String,
    issuedAt: Double,
    lifetime: Double
  ) {
    self.subject = SubjectClaim(value: principal.accountID)
    self.username = principal.username
    self.role = principal.role.rawValue
    self.province = principal.provinceCode.isEmpty ? nil : principal.provinceCode
    self.district = principal.districtCode.isEmpty ? nil : principal.districtCode
    self.zone = principal.zoneID.isEmpty ? nil : principal.zoneID
    self.facility = principal.facilityID.isEmpty ? nil : principal.facilityID
    self.audience = AudienceClaim(value: audience)
    self.issuer = IssuerClaim(value: issuer)
    self.issuedAt = IssuedAtClaim(value: .init(timeIntervalSince1970: issuedAt))
    self.expiration = ExpirationClaim(value: .init(timeIntervalSince1970: issuedAt + lifetime))
    self.tokenID = IDClaim(value: principal.tokenID)
    self.passwordChangeRequired = principal.passwordChangeRequired ? true : nil
  }

  /// Signature checks come first (jwt-kit); this checks expiry. Audience and issuer are checked
  /// by ``TokenVerifier``, which knows the expected values.
  public func verify(using algorithm: some JWTAlgorithm) async throws {
    try expiration.verifyNotExpired()
  }

  public var expiresAt: Date { expiration.value }

  /// The principal these claims describe, or `nil` if the role is unknown or the scope claims
  /// do not fit it (``Principal/scopeProblem``).
  public var principal: Principal? {
    guard let role = Role(rawValue: role) else { return nil }
    let principal = Principal(
      accountID: subject.value,
      username: username,
      role: role,
      provinceCode: province ?? "",
      districtCode: district ?? "",
      zoneID: zone ?? "",
      facilityID: facility ?? "",
      tokenID: tokenID.value,
      expiresAt: expiration.value.timeIntervalSince1970,
      passwordChangeRequired: passwordChangeRequired ?? false
    )
    return principal.scopeProblem == nil ? principal : nil
  }
}
