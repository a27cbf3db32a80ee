/// One invalid field of a request, named by its path (`facility.tax_code`).
public struct FieldViolation: Sendable, Hashable, CustomStringConvertible {
  public var field: String
  public var description: String

  public init(field: String, description: String) {
    self.field = field
    self.description = description
  }
}

/// Collects every violation of a request so the caller learns all of them at once, not one per
/// round trip.
public struct FieldViolations: Error, Sendable, Hashable {
  public private(set) var all: [FieldViolation] = []

  public init() {}

  public var isEmpty: Bool { all.isEmpty }

  public mutating func add(_ field: String, _ description: String) {
    all.append(FieldViolation(field: field, description: description))
  }

  public mutating func merge(_ other: FieldViolations) {
    all += other.all
  }

  /// Adds a violation when `condition` is false.
  public mutating func require(_ condition: Bool, _ field: String, _ description: String) {
    if !condition { add(field, description) }
  }

  /// At most this many bytes of message: it travels in the `grpc-message` trailer, and gRPC
  /// clients refuse trailers past about 8 KiB (the call then fails as UNAVAILABLE, "stream
  /// closed", and the caller learns nothing).
  public static let messageBudget = 4_000

  /// `field: description; field: description`, the form used in INVALID_ARGUMENT messages;
  /// every violation while they fit ``messageBudget``, then how many more there are. A single
  /// violation longer than a quarter of the budget is cut.
  public var message: String {
    var parts: [String] = []
    var used = 0
    for violation in all {
      var part = "\(violation.field): \(violation.description)"
      if part.utf8.count > Self.messageBudget / 4 {
        // 240 Unicode scalars are at most 960 bytes, whatever the script.
        part = String(String.UnicodeScalarView(part.unicodeScalars.prefix(240))) + "…"
      }
      let separator = parts.isEmpty ? 0 : 2
      let tail = parts.count + 1 < all.count ? 40 : 0  // room for "; … and N more violations"
      guard used + separator + part.utf8.count + tail <= Self.messageBudget else { break }
      parts.append(part)
      used += separator + part.utf8.count
    }
    let more = all.count - parts.count
    return parts.joined(separator: "; ") + (more > 0 ? "; … and \(more) more violations" : "")
  }
}
