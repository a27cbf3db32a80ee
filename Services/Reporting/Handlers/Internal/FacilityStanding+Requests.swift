import Crypto
import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapContract
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

/// The map levels a request names, and the colour the map gives each.
extension FacilityStanding.Level {
  /// The SQL names of a request's levels, each once; an unknown one is a violation of
  /// `field[i]`.
  static func sqlNames(
    _ levels: [Safemap_Common_V1_MapLevel],
    field: String,
    violations: inout FieldViolations
  ) -> [String] {
    var names: [String] = []
    for (index, level) in levels.enumerated() {
      guard let name = Self(level)?.sql else {
        violations.add("\(field)[\(index)]", "unknown level")
        continue
      }
      if !names.contains(name) { names.append(name) }
    }
    return names
  }

  /// The CSS colour a map shows for the level.
  var color: String {
    switch self {
    case .safe: "green"
    case .atRisk: "yellow"
    case .unsafe: "red"
    case .notAssessed, .overdue: "grey"
    }
  }
}
