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

/// Where a list continues: the instant of its first page, the list's fingerprint (its province
/// and filter), the total counted on the first page and the last facility returned.
struct ListCursor: Codable, Sendable {
  /// The first page's instant in whole microseconds, so later pages read exactly that instant.
  var micros: Int64
  var fingerprint: String
  var total: Int?
  var lastFacility: String?

  init(instant: Date, fingerprint: String) {
    self.micros = Int64((instant.timeIntervalSince1970 * 1_000_000).rounded(.down))
    self.fingerprint = fingerprint
  }

  var instant: Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }

  /// This cursor, if it continues the list `fingerprint` names (same province and filter).
  func continuing(_ fingerprint: String) throws -> ListCursor {
    guard self.fingerprint == fingerprint else {
      throw RPCError(
        code: .invalidArgument,
        message: "page_token: belongs to a list with another province or filter"
      )
    }
    guard total != nil, let lastFacility, UUID(uuidString: lastFacility) != nil else {
      throw RPCError(code: .invalidArgument, message: "page_token: not a token from this list")
    }
    return self
  }
}
