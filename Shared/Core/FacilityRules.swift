/// Field rules of the facility registry that need no database.
public enum TaxCode {
  /// Mã số thuế: 10 digits, or 10 digits, "-", 3 digits for a branch.
  public static func isWellFormed(_ code: String) -> Bool {
    let bytes = Array(code.utf8)
    func digits(_ range: Range<Int>) -> Bool { bytes[range].allSatisfy { (48...57).contains($0) } }
    if bytes.count == 10 { return digits(0..<10) }
    if bytes.count == 14 { return digits(0..<10) && bytes[10] == 45 && digits(11..<14) }
    return false
  }

  public static let rule = "must be 10 digits, or 10 digits-3 digits for a branch"
}

/// Vietnam's bounding box (mainland and the islands the registry will meet), for catching
/// swapped or mistyped coordinates.
public enum VietnamBounds {
  public static let latitude = 8.0...23.5
  public static let longitude = 102.0...117.5

  public static func contains(latitude lat: Double, longitude lon: Double) -> Bool {
    latitude.contains(lat) && longitude.contains(lon)
  }
}

/// Contact fields: loose checks that still catch typing mistakes.
public enum Contact {
  /// Digits with optional leading `+`, spaces, dots, dashes and parentheses; 8–15 digits.
  public static func isPhone(_ phone: String) -> Bool {
    let allowed = phone.unicodeScalars.allSatisfy {
      ("0"..."9").contains($0) || " +-.()".unicodeScalars.contains($0)
    }
    let digits = phone.unicodeScalars.filter { ("0"..."9").contains($0) }.count
    return allowed && (8...15).contains(digits)
  }

  /// One `@`, something before it, a dot after it, no spaces.
  public static func isEmail(_ email: String) -> Bool {
    let parts = email.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
      !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !email.contains(" ")
    else { return false }
    return true
  }
}
