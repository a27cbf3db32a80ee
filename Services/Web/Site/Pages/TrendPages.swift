import Foundation
import GRPCCore
import Hummingbird
import SafeMapAPI
import SwiftProtobuf

/// The trend of a province (or district) per day or week: an SVG chart drawn on the server
/// (no chart library, no script) with the same figures in a table beneath, which is also what
/// a screen reader reads.
struct TrendPages {
  let site: Site
  static let width = 760.0
  static let height = 280.0
  static let margin = (left: 48.0, right: 40.0, top: 12.0, bottom: 36.0)

  func register(_ routes: Routes) {
    routes.officials.get("/trend") { request, context in try await trend(request, context) }
  }

  struct TrendPage {
    var chrome: Chrome
    var province: String
    var from: String
    var to: String
    var weekly: Bool
    var width: Double
    var height: Double
    var series: [Series]
    var yTicks: [Tick]
    var xTicks: [Tick]
    var rows: [Row]
  }

  struct Series {
    var name: String
    var cssClass: String
    var points: String
  }

  struct Tick {
    var x: Double
    var y: Double
    var label: String
  }

  struct Row {
    var period: String
    var safe: String
    var atRisk: String
    var unsafe: String
    var overdue: String
    var notAssessed: String
    var submissions: String
  }

  /// `YYYY-MM-DD`, the start of that day in Vietnam.
  static func day(_ text: String) -> Date? {
    ReportQuery.parseLocal(text + "T00:00")
  }

  func trend(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let query = request.uri.queryParameters
    let weekly = (query["interval"].map(String.init) ?? "week") != "day"
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = VietnamTime.zone
    let today = calendar.startOfDay(for: Date())
    let defaultFrom = today.addingTimeInterval(-8 * 7 * 86_400)
    let fromText = query["from"].map(String.init) ?? ""
    let toText = query["to"].map(String.init) ?? ""
    guard let from = fromText.isEmpty ? defaultFrom : Self.day(fromText) else {
      throw WebError.badRequest("from: ngày dạng 2026-11-01.")
    }
    guard let toStart = toText.isEmpty ? today : Self.day(toText) else {
      throw WebError.badRequest("to: ngày dạng 2026-12-07.")
    }
    let to = toStart.addingTimeInterval(86_400)
    guard from < to else { throw WebError.badRequest("from: phải trước to.") }
    let province = try site.province(request, session)
    let response = try await site.backend.reports.getTrend(
      .with {
        $0.provinceCode = province
        $0.startTime = Google_Protobuf_Timestamp(date: from)
        $0.endTime = Google_Protobuf_Timestamp(date: to)
        $0.interval = weekly ? .week : .day
      },
      metadata: try await site.metadata(context)
    )
    let points = response.points
    let values: [(String, String, KeyPath<Safemap_Reporting_V1_TrendPoint, Int32>)] = [
      ("An toàn", "safe", \.safe), ("Có nguy cơ", "at-risk", \.atRisk),
      ("Không an toàn", "unsafe", \.unsafe), ("Quá hạn đánh giá", "overdue", \.overdue),
      ("Chưa đánh giá", "not-assessed", \.notAssessed),
    ]
    let top = max(1, values.flatMap { v in points.map { Int($0[keyPath: v.2]) } }.max() ?? 1)
    let m = Self.margin
    let plotWidth = Self.width - m.left - m.right
    let plotHeight = Self.height - m.top - m.bottom
    func x(_ i: Int) -> Double {
      m.left
        + (points.count <= 1 ? plotWidth / 2 : plotWidth * Double(i) / Double(points.count - 1))
    }
    func y(_ value: Int) -> Double { m.top + plotHeight * (1 - Double(value) / Double(top)) }
    let series = values.map { name, css, path in
      Series(
        name: name,
        cssClass: css,
        points: points.enumerated().map { i, p in
          String(format: "%.1f,%.1f", x(i), y(Int(p[keyPath: path])))
        }.joined(separator: " ")
      )
    }
    let yTicks = (0...4).map { k in
      let value = top * k / 4
      return Tick(x: m.left - 6, y: y(value), label: VietnamNumber.text(value))
    }
    let step = max(1, points.count / 6)
    let xTicks = points.enumerated().filter { $0.offset % step == 0 }.map { i, p in
      Tick(x: x(i), y: Self.height - 12, label: VietnamTime.day(p.periodStart.date))
    }
    func iso(_ date: Date) -> String {
      let c = calendar.dateComponents([.year, .month, .day], from: date)
      return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
    return site.templates.page(
      "trend",
      TrendPage(
        chrome: Chrome(title: "Xu hướng", session: session),
        province: province,
        from: iso(from),
        to: iso(toStart),
        weekly: weekly,
        width: Self.width,
        height: Self.height,
        series: series,
        yTicks: yTicks,
        xTicks: xTicks,
        rows: points.map { p in
          Row(
            period: VietnamTime.day(p.periodStart.date),
            safe: VietnamNumber.text(p.safe),
            atRisk: VietnamNumber.text(p.atRisk),
            unsafe: VietnamNumber.text(p.unsafe),
            overdue: VietnamNumber.text(p.overdue),
            notAssessed: VietnamNumber.text(p.notAssessed),
            submissions: VietnamNumber.text(p.submissions)
          )
        }
      )
    )
  }
}
