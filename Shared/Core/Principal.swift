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

  /// The tenant the principal's own rows live in. Only a principal that passed
  /// ``scopeProblem`` exists in a request, so a province role always has a well-formed
  /// province; the fallback to a tenant that matches no row keeps even a hand-built bad value
  /// from ever reading as national.
  public var homeTenant: Tenant {
    role.isNational ? .national : (Tenant.province(provinceCode) ?? .nowhere)
  }

  /// Why the scope fields do not fit the role, or `nil` when they do: the ministry names no
  /// province; every other role names a well-formed one, and district officers a district,
  /// zone officers a zone and facilities a facility. A token that fails this is refused, so a
  /// malformed province claim can never be read as national.
  public var scopeProblem: String? {
    if role.isNational {
      return provinceCode.isEmpty ? nil : "a ministry token names no province"
    }
    guard ProvinceCode.isWellFormed(provinceCode) else { return "province claim is malformed" }
    switch role {
    case .districtOfficer where !DistrictCode.isWellFormed(districtCode):
      return "district claim is malformed"
    case .zoneOfficer where !Self.isIdentifier(zoneID):
      return "zone claim is malformed"
    case .facility where !Self.isIdentifier(facilityID):
      return "facility claim is malformed"
    default:
      return nil
    }
  }

  /// A UUID in its canonical 36-character text form.
  static func isIdentifier(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 36 else { return false }
    for (index, byte) in bytes.enumerated() {
      if [8, 13, 18, 23].contains(index) {
        guard byte == UInt8(ascii: "-") else { return false }
      } else {
        let hex = (48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte)
        guard hex else { return false }
      }
    }
    return true
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
