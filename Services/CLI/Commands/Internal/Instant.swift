import Foundation
import SwiftProtobuf

/// Instants as officials type them: a date, meaning the end of that day in Vietnam (UTC+7),
/// or an ISO 8601 date and time with its offset.
enum Instant {
  static let vietnam = TimeZone(secondsFromGMT: 7 * 3600)!

  /// `2021-08-20` → 2021-08-21T00:00+07:00 (the state at the end of the 20th);
  /// `2021-08-20T17:00:00+07:00` → itself. `option` names the flag in the error.
  static func parse(_ text: String, option: String) throws -> Date {
    let dayOnly = Date.ISO8601FormatStyle(timeZone: vietnam).year().month().day()
    if text.count == 10, let day = try? Date(text, strategy: dayOnly) {
      return day.addingTimeInterval(24 * 3600)
    }
    if let instant = try? Date(text, strategy: .iso8601) { return instant }
    throw CLIFailure(
      "--\(option) must be a date (2021-08-20, meaning the end of that day in Vietnam) "
        + "or a date and time with its offset (2021-08-20T17:00:00+07:00), got \(text)"
    )
  }

  /// The start of `text`'s day in Vietnam, for the start of a period.
  static func startOfDay(_ text: String, option: String) throws -> Date {
    try parse(text, option: option).addingTimeInterval(text.count == 10 ? -24 * 3600 : 0)
  }

  static func timestamp(_ date: Date) -> Google_Protobuf_Timestamp {
    Google_Protobuf_Timestamp(date: date)
  }
}
