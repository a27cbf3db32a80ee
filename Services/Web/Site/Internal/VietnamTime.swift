import Foundation

/// Times as Vietnam reads them (UTC+7), for pages.
enum VietnamTime {
  static let zone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!

  static func text(_ date: Date) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    return String(
      format: "%02d:%02d ngày %02d/%02d/%04d",
      c.hour!,
      c.minute!,
      c.day!,
      c.month!,
      c.year!
    )
  }

  static func day(_ date: Date) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    let c = calendar.dateComponents([.year, .month, .day], from: date)
    return String(format: "%02d/%02d/%04d", c.day!, c.month!, c.year!)
  }
}
