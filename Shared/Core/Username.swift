/// Usernames: 3–64 characters of ASCII letters, digits and `. _ - @`, unique ignoring case.
/// ASCII keeps them typeable on any keyboard and free of look-alike characters.
public enum Username {
  public static let rule = "must be 3–64 characters: letters, digits, '.', '_', '-', '@'"

  public static func isWellFormed(_ username: String) -> Bool {
    let bytes = Array(username.utf8)
    guard (3...64).contains(bytes.count) else { return false }
    return bytes.allSatisfy { b in
      (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57)
        || b == 46 || b == 95 || b == 45 || b == 64
    }
  }

  /// Usernames shaped like a tax code (`0101234567`, `0101234567-001`, optionally with a
  /// province suffix `.25`) belong to facility accounts, whose username is their tax code; an
  /// officer holding one could take a facility's username before it is issued.
  public static func isTaxCodeShaped(_ username: String) -> Bool {
    var base = Substring(username)
    if let dot = base.lastIndex(of: "."),
      ProvinceCode.isWellFormed(String(base[base.index(after: dot)...]))
    {
      base = base[..<dot]
    }
    return TaxCode.isWellFormed(String(base))
  }

  public static let reservedRule =
    "looks like a tax code; such usernames belong to facility accounts"
}
