import Foundation
import Hummingbird
import SafeMapCore
import SwiftProtobuf

/// The query every report page shares: province (the ministry chooses; others have one),
/// as-of instant (a `datetime-local` value in Vietnam's time; empty: now).
struct ReportQuery {
  var province: String
  var asOf: Date?
  var asOfText: String

  init(_ request: Request, session: WebSession) throws {
    let query = request.uri.queryParameters
    province = query["province"].map(String.init) ?? session.account.provinceCode
    if !province.isEmpty, Tenant.province(province) == nil {
      throw WebError.badRequest("province: mã tỉnh gồm hai chữ số.")
    }
    asOfText = query["as_of"].map(String.init) ?? ""
    asOf = nil
    if !asOfText.isEmpty {
      guard let date = Self.parseLocal(asOfText) else {
        throw WebError.badRequest("as_of: ngày giờ dạng 2026-12-07T17:00.")
      }
      asOf = date
    }
  }

  /// `YYYY-MM-DDTHH:MM` in Vietnam's time.
  static func parseLocal(_ text: String) -> Date? {
    let parts = text.split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
    guard parts.count == 5 || parts.count == 6 else { return nil }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = VietnamTime.zone
    let components = DateComponents(
      year: parts[0],
      month: parts[1],
      day: parts[2],
      hour: parts[3],
      minute: parts[4]
    )
    guard let date = calendar.date(from: components),
      calendar.dateComponents([.year, .month, .day], from: date).day == parts[2]
    else { return nil }
    return date
  }

  var timestamp: Google_Protobuf_Timestamp? { asOf.map { Google_Protobuf_Timestamp(date: $0) } }
}
