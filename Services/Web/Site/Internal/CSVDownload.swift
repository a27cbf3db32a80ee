import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SafeMapSheets

/// A CSV file the browser saves: UTF-8 with a byte-order mark (so Excel shows Vietnamese),
/// CRLF records, never cached, named `<prefix>-<YYYYMMDD>.csv` by Vietnam's date.
enum CSVDownload {
  static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

  static func record(_ fields: [String]) throws -> Data {
    try CSVRecord.encode(fields, newline: "\r\n")
  }

  static func response(named prefix: String, body: ResponseBody) -> Response {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = VietnamTime.zone
    let c = calendar.dateComponents([.year, .month, .day], from: Date())
    let name = prefix + String(format: "-%04d%02d%02d.csv", c.year!, c.month!, c.day!)
    return Response(
      status: .ok,
      headers: [
        .contentType: "text/csv; charset=utf-8",
        .contentDisposition: "attachment; filename=\"\(name)\"",
        .cacheControl: "no-store",
      ],
      body: body
    )
  }
}
