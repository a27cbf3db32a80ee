/// The verified caller of an RPC, built only from a verified access token.
///
/// Handlers read the tenant and scope from here and never from request fields, so a request can
/// at most narrow what the token allows.
public struct Principal: Sendable, Hashable {
  public var accountID: String
  public var username: String
  public var role: Role
  /// Empty for the ministry.
  public var provinceCode: String
  public var districtCode: String
  public var zoneID: String
  public var facilityID: String
  /// The token's `jti`.
  public var tokenID: String
  /// Seconds since 1970 at which the token expires.
  public var expiresAt: Double
  /// While true, only changing the password, reading oneself and logging out are allowed.
  public var passwordChangeRequired: Bool

  public init(
    accountID: String,
    username: String,
    role: Role,
    provinceCode: String = "",
    districtCode: String = "",
    zoneID: String = "",
    facilityID: String = "",
    tokenID: String = "",
    expiresAt: Double = 0,
    passwordChangeRequired: Bool = false
  ) {
    self.accountID = accountID
    self.username = username
    self.role = role
    self.provinceCode = provinceCode
    self.districtCode = districtCode
    self.zoneID = zoneID
    self.facilityID = facilityID
    self.tokenID = tokenID
    self.expiresAt = expiresAt
    self.passwordChangeRequired = passwordChangeRequired
  }

  /// The tenant the principal's own rows live in.
  public var homeTenant: Tenant {
    role.isNational ? .national : (Tenant.province(provinceCode) ?? .national)
  }

  /// The province a request acts on: the requested one for the ministry, the principal's own
  /// otherwise. A province-scoped principal naming another province gets `.otherProvince`.
  public func resolveProvince(requested: String) -> ProvinceResolution {
    if role.isNational {
      guard !requested.isEmpty else { return .missing }
      guard let tenant = Tenant.province(requested) else { return .malformed }
      return .resolved(tenant)
    }
    guard requested.isEmpty || requested == provinceCode else { return .otherProvince }
    guard let tenant = Tenant.province(provinceCode) else { return .malformed }
    return .resolved(tenant)
  }

  public enum ProvinceResolution: Hashable, Sendable {
    case resolved(Tenant)
    /// The ministry must name a province.
    case missing
    case malformed
    /// Outside the principal's scope.
    case otherProvince
  }
}
