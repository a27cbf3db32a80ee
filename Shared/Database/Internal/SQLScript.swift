/// Splits a SQL script into single statements.
///
/// postgres-nio speaks only the extended query protocol, which takes one statement per call, so
/// migration files are split here. The splitter understands what can hide a `;`: quoted strings
/// (`'…'`, `E'…'` and `''` escapes), quoted identifiers, line and block comments, and
/// dollar-quoted bodies (`$$…$$`, `$tag$…$tag$`).
enum SQLScript {
  static func statements(_ script: String) -> [String] {
    let s = Array(script.unicodeScalars)
    var statements: [String] = []
    var current = String.UnicodeScalarView()
    var i = 0

    func flush() {
      let text = String(current).trimmingWhitespace()
      if !text.isEmpty && !isOnlyComments(text) { statements.append(text) }
      current = String.UnicodeScalarView()
    }

    while i < s.count {
      let c = s[i]
      let next: Unicode.Scalar? = i + 1 < s.count ? s[i + 1] : nil
      switch c {
      case "-" where next == "-":
        while i < s.count && s[i] != "\n" { current.append(s[i]); i += 1 }
        continue
      case "/" where next == "*":
        var depth = 0
        while i < s.count {
          if s[i] == "/" && i + 1 < s.count && s[i + 1] == "*" {
            depth += 1; current.append(s[i]); current.append(s[i + 1]); i += 2; continue
          }
          if s[i] == "*" && i + 1 < s.count && s[i + 1] == "/" {
            depth -= 1; current.append(s[i]); current.append(s[i + 1]); i += 2
            if depth == 0 { break }
            continue
          }
          current.append(s[i]); i += 1
        }
        continue
      case "'", "\"":
        current.append(c); i += 1
        while i < s.count {
          current.append(s[i])
          if s[i] == c {
            if i + 1 < s.count && s[i + 1] == c { current.append(s[i + 1]); i += 2; continue }
            i += 1
            break
          }
          i += 1
        }
        continue
      case "$":
        if let tag = dollarTag(s, at: i) {
          for t in tag { current.append(t) }
          i += tag.count
          while i < s.count {
            if s[i] == "$" && Array(s[i..<min(s.count, i + tag.count)]) == tag {
              for t in tag { current.append(t) }
              i += tag.count
              break
            }
            current.append(s[i]); i += 1
          }
          continue
        }
      case ";":
        flush(); i += 1
        continue
      default:
        break
      }
      current.append(c); i += 1
    }
    flush()
    return statements
  }

  /// `$tag$` starting at `i`, if there is one (a tag is letters, digits and `_`, not starting
  /// with a digit, so `$1` parameters are not tags).
  private static func dollarTag(_ s: [Unicode.Scalar], at i: Int) -> [Unicode.Scalar]? {
    var j = i + 1
    while j < s.count, s[j] != "$" {
      let v = s[j]
      let ok = v == "_" || v.properties.isAlphabetic || (j > i + 1 && ("0"..."9").contains(v))
      if !ok { return nil }
      j += 1
    }
    guard j < s.count else { return nil }
    return Array(s[i...j])
  }

  private static func isOnlyComments(_ text: String) -> Bool {
    text.split(separator: "\n").allSatisfy {
      let line = $0.drop(while: { $0 == " " || $0 == "\t" })
      return line.isEmpty || line.hasPrefix("--")
    }
  }
}

extension String {
  func trimmingWhitespace() -> String {
    let scalars = unicodeScalars
    guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[start...end])
  }
}
