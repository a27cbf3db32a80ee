public import Foundation
public import GRPCCore
public import SafeMapCore

extension RPCError {
  /// INVALID_ARGUMENT listing every violation (`field: description; …`).
  public static func invalidArgument(_ violations: FieldViolations) -> RPCError {
    RPCError(code: .invalidArgument, message: violations.message)
  }
}

extension Principal {
  /// The tenant for a request naming `provinceCode`, or the status the caller gets: ministry
  /// without a province → INVALID_ARGUMENT; another province → PERMISSION_DENIED.
  public func tenant(forRequested provinceCode: String, field: String = "province_code")
    throws -> Tenant
  {
    switch resolveProvince(requested: provinceCode) {
    case .resolved(let tenant): return tenant
    case .missing:
      throw RPCError(code: .invalidArgument, message: "\(field): required for ministry users")
    case .malformed:
      throw RPCError(code: .invalidArgument, message: "\(field): must be a two-digit province code")
    case .otherProvince:
      throw RPCError(code: .permissionDenied, message: "\(field): outside your province")
    }
  }
}

extension Principal {
  /// The caller's account id, for the rows that say who did something.
  public func actorID() throws -> UUID {
    guard let id = UUID(uuidString: accountID) else {
      throw RPCError(code: .unauthenticated, message: "the token names no account")
    }
    return id
  }
}

/// A free-text field of a request (a comment, a reason): trimmed, at most `limit` characters.
public enum FreeText {
  /// `required` names when the field is required ("to return or reopen"); nil: optional.
  public static func check(
    _ value: String,
    field: String,
    required: String? = nil,
    limit: Int = 1_000
  ) throws -> String {
    let text = value.trimmingCharacters(in: .whitespacesAndNewlines)
    if let required, text.isEmpty {
      throw RPCError(code: .invalidArgument, message: "\(field): required \(required)")
    }
    guard text.count <= limit else {
      throw RPCError(code: .invalidArgument, message: "\(field): at most \(limit) characters")
    }
    return text
  }
}

/// Ids a request lists (`nomination_ids`, `facility_ids`): 1 to `maximum`, each a UUID, each
/// once; every bad entry is named.
public enum RequestedIDs {
  public static func parse(_ texts: [String], field: String, maximum: Int) throws -> [UUID] {
    guard !texts.isEmpty else {
      throw RPCError(code: .invalidArgument, message: "\(field): at least one id")
    }
    guard texts.count <= maximum else {
      throw RPCError(
        code: .invalidArgument,
        message: "\(field): at most \(maximum) ids per request"
      )
    }
    var violations = FieldViolations()
    var seen: Set<UUID> = []
    var ids: [UUID] = []
    for (index, text) in texts.enumerated() {
      guard let id = UUID(uuidString: text) else {
        violations.add("\(field)[\(index)]", "not a valid id")
        continue
      }
      if !seen.insert(id).inserted { violations.add("\(field)[\(index)]", "repeated") }
      ids.append(id)
    }
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    return ids
  }
}
