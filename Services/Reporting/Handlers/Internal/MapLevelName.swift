import Crypto
import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

/// Map levels as named in SQL and in the API.
enum MapLevelName {
  /// The SQL names of a request's levels, each once; an unknown one is a violation of
  /// `field[i]`.
  static func sql(
    _ levels: [Safemap_Common_V1_MapLevel],
    field: String,
    violations: inout FieldViolations
  ) -> [String] {
    var names: [String] = []
    for (index, level) in levels.enumerated() {
      guard let name = sql(level) else {
        violations.add("\(field)[\(index)]", "unknown level")
        continue
      }
      if !names.contains(name) { names.append(name) }
    }
    return names
  }

  static func sql(_ level: Safemap_Common_V1_MapLevel) -> String? {
    switch level {
    case .safe: return "SAFE"
    case .atRisk: return "AT_RISK"
    case .unsafe: return "UNSAFE"
    case .notAssessed: return "NOT_ASSESSED"
    case .overdue: return "OVERDUE"
    case .unspecified, .UNRECOGNIZED: return nil
    }
  }

  static func message(_ name: String) -> Safemap_Common_V1_MapLevel {
    switch name {
    case "SAFE": return .safe
    case "AT_RISK": return .atRisk
    case "UNSAFE": return .unsafe
    case "NOT_ASSESSED": return .notAssessed
    case "OVERDUE": return .overdue
    default: return .unspecified
    }
  }

  /// The CSS colour a map shows for a level.
  static func color(_ name: String) -> String {
    switch name {
    case "SAFE": return "green"
    case "AT_RISK": return "yellow"
    case "UNSAFE": return "red"
    default: return "grey"
    }
  }
}
