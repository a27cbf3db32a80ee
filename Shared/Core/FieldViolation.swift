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

  /// `field: description; field: description`, the form used in INVALID_ARGUMENT messages.
  public var message: String {
    all.map { "\($0.field): \($0.description)" }.joined(separator: "; ")
  }
}
