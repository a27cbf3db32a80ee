/// `application/x-www-form-urlencoded`, read and written as the WHATWG URL standard (§5) says
/// browsers do. Reading is total: any bytes give fields, never a trap (Foundation's
/// `URLComponents.percentEncodedQuery` setter traps on a stray `%`, space or `#`). A `%` not
/// followed by two hex digits stays a `%`; bytes that are not UTF-8 become U+FFFD.
enum FormEncoding {
  /// The name-value pairs of a body or query string, in order.
  static func parse(_ text: String) -> [(name: String, value: String)] {
    var fields: [(name: String, value: String)] = []
    for part in text.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
      let equals = part.firstIndex(of: UInt8(ascii: "="))
      let name = part[part.startIndex..<(equals ?? part.endIndex)]
      let value = equals.map { part[part.index(after: $0)...] } ?? part[part.endIndex...]
      fields.append((decode(name), decode(value)))
    }
    return fields
  }

  /// One component: `+` is a space, `%XX` a byte, anything else itself.
  static func decode(_ bytes: some Collection<UInt8>) -> String {
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    var index = bytes.startIndex
    while index != bytes.endIndex {
      let byte = bytes[index]
      index = bytes.index(after: index)
      if byte == UInt8(ascii: "+") {
        output.append(UInt8(ascii: " "))
        continue
      }
      guard byte == UInt8(ascii: "%"), index != bytes.endIndex else {
        output.append(byte)
        continue
      }
      let second = bytes.index(after: index)
      guard second != bytes.endIndex, let high = hexValue(bytes[index]),
        let low = hexValue(bytes[second])
      else {
        output.append(byte)
        continue
      }
      output.append(high << 4 | low)
      index = bytes.index(after: second)
    }
    return String(decoding: output, as: UTF8.self)
  }

  /// A query string (without `?`) from pairs in order; pairs whose value is nil are left out.
  static func encode(_ pairs: [(String, String?)]) -> String {
    pairs.compactMap { name, value in
      value.map { "\(component(name))=\(component($0))" }
    }.joined(separator: "&")
  }

  /// A path and its query (`/lists?kind=r4`), or the path alone when no pair has a value.
  static func link(_ path: String, _ pairs: [(String, String?)]) -> String {
    let query = encode(pairs)
    return query.isEmpty ? path : "\(path)?\(query)"
  }

  /// Percent-encodes everything but the unreserved characters of RFC 3986.
  static func component(_ text: String) -> String {
    var output = ""
    output.reserveCapacity(text.utf8.count)
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "_"), UInt8(ascii: "~"):
        output.unicodeScalars.append(Unicode.Scalar(byte))
      default:
        output +=
          "%" + String(byte >> 4, radix: 16, uppercase: true)
          + String(byte & 0xF, radix: 16, uppercase: true)
      }
    }
    return output
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
  }
}
