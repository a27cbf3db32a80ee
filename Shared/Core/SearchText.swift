import Foundation

/// Text folded for accent-insensitive search: lower-case, Vietnamese diacritics removed, `đ`
/// to `d` (which Unicode does not decompose), runs of spaces collapsed. "Công ty Đồng Xoài"
/// and "cong ty dong xoai" fold to the same string.
public enum SearchText {
  public static func fold(_ text: String) -> String {
    let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
      .replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "d")
    return folded.split(whereSeparator: \.isWhitespace).joined(separator: " ")
  }

  /// A `LIKE` pattern matching `text` anywhere, with the pattern characters of the input
  /// (`%`, `_` and the escape character `\`) escaped, so user input is matched literally.
  public static func containsPattern(_ text: String) -> String {
    var escaped = ""
    for character in text {
      if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
      escaped.append(character)
    }
    return "%" + escaped + "%"
  }
}
