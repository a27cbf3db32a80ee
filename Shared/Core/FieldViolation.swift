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

  /// Adds a violation when `condition` is false.
  public mutating func require(_ condition: Bool, _ field: String, _ description: String) {
    if !condition { add(field, description) }
  }

  /// At most this many bytes of message: it travels in the `grpc-message` trailer, and gRPC
  /// clients refuse trailers past about 8 KiB (the call then fails as UNAVAILABLE, "stream
  /// closed", and the caller learns nothing).
  public static let messageBudget = 4_000

  /// `field: description; field: description`, the form used in INVALID_ARGUMENT messages;
  /// every violation while they fit ``messageBudget``, then how many more there are.
  public var message: String {
    var text = ""
    for (index, violation) in all.enumerated() {
      let part = (text.isEmpty ? "" : "; ") + "\(violation.field): \(violation.description)"
      let rest = all.count - index
      // Keep room for the "… and N more" tail unless this is the last one.
      let tail = rest > 1 ? 40 : 0
      guard text.utf8.count + part.utf8.count + tail <= Self.messageBudget else {
        return text + "; … and \(rest) more violations"
      }
      text += part
    }
    return text
  }
}
