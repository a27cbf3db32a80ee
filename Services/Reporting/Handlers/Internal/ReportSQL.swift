import Foundation
import GRPCCore
import PostgresNIO

/// A statement assembled from fixed fragments, with every value bound as a parameter.
///
/// Reports differ in shape (grouping, filters, now or as of an instant), so their SQL is put
/// together from pieces; values never enter the text, only `$n` placeholders do.
struct ReportSQL {
  private(set) var text = ""
  private(set) var bindings = PostgresBindings()
  private var count = 0

  /// Binds `value` and returns its placeholder.
  mutating func bind<Value: PostgresNonThrowingEncodable>(_ value: Value) -> String {
    bindings.append(value)
    count += 1
    return "$\(count)"
  }

  /// Binds `value`, or SQL NULL for `nil`, and returns its placeholder.
  mutating func bind<Value: PostgresNonThrowingEncodable>(optional value: Value?) -> String {
    if let value { return bind(value) }
    bindings.appendNull()
    count += 1
    return "$\(count)"
  }

  mutating func append(_ fragment: String) { text += fragment }

  var query: PostgresQuery { PostgresQuery(unsafeSQL: text, binds: bindings) }
}

/// The instant a report counts at: "now" reads the current state table; an earlier instant
/// reads the immutable history. Both apply the same rules, so now equals "as of now".
enum ReportInstant: Sendable, Hashable {
  case now(Date)
  case past(Date)

  var date: Date {
    switch self {
    case .now(let date), .past(let date): return date
    }
  }

  /// The instant a request names (unset, or not before now: now).
  static func requested(_ timestamp: Date?, now: Date = Date()) throws -> ReportInstant {
    guard let timestamp, timestamp < now else { return .now(now) }
    guard timestamp >= Date(timeIntervalSince1970: 946_684_800) else {
      throw RPCError(code: .invalidArgument, message: "as_of_time: must be after 2000-01-01")
    }
    return .past(timestamp)
  }
}
