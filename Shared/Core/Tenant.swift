/// The tenant of a row or a transaction: a two-digit province code, the national tenant that
/// holds ministry-level rows, or the explicit national read used by ministry reports.
///
/// The value becomes `app.province` in the database, which the row-level security policies of
/// every tenant table compare with `province_code`.
public struct Tenant: Hashable, Sendable, CustomStringConvertible {
  /// The `app.province` setting.
  public let code: String

  private init(code: String) { self.code = code }

  /// Ministry-level rows (ministry accounts, their sessions and audit events).
  public static let national = Tenant(code: "00")
  /// Read access to every province; the database grants it to reporting only.
  public static let allProvinces = Tenant(code: "*")
  /// Matches no row of any tenant table: what a principal with a broken scope would get, so a
  /// mistake can only ever hide data, never widen it.
  public static let nowhere = Tenant(code: "")

  /// A province tenant; `nil` unless `code` is two digits other than `00`.
  public static func province(_ code: String) -> Tenant? {
    guard ProvinceCode.isWellFormed(code) else { return nil }
    return Tenant(code: code)
  }

  public var description: String { code }
}

/// Province codes of the 2021 national administrative code list.
public enum ProvinceCode {
  /// Two ASCII digits, not `00` (which is the national tenant, not a province).
  public static func isWellFormed(_ code: String) -> Bool {
    code.utf8.count == 2 && code.utf8.allSatisfy { (48...57).contains($0) } && code != "00"
  }
}

/// District codes of the 2021 national code list: three digits.
public enum DistrictCode {
  public static func isWellFormed(_ code: String) -> Bool {
    code.utf8.count == 3 && code.utf8.allSatisfy { (48...57).contains($0) }
  }
}
