import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// The officials' summaries: R1/R2/R3 of a province as of any instant, and R6 (every
/// province) for the ministry (`/dashboard`). What each official may see is decided by
/// reporting-service from the token; the page only asks.
struct DashboardPages {
  let site: Site

  func register(_ routes: Routes) {
    routes.officials.get("/dashboard") { request, context in try await dashboard(request, context) }
  }

  struct DashboardPage {
    var chrome: Chrome
    var province: String
    var provinceName: String
    var isMinistry: Bool
    var isNational: Bool
    var asOf: String
    var asOfShown: String
    var groupings: [GroupingOption]
    var groupName: String
    var rows: [Row]
    var total: Row
    var checks: [Check]
  }

  struct GroupingOption {
    var value: String
    var name: String
    var selected: Bool
  }

  struct Check {
    var text: String
    var holds: Bool
  }

  /// One row in the seed's column order.
  struct Row {
    var key: String
    var name: String
    var issued: String
    var stopped: String
    var active: String
    var assessed: String
    var safe: String
    var atRisk: String
    var unsafe: String
    var overdue: String
    var never: String
    var inspected: String
    var mismatch: String
    var rate: String
    /// The national table's rows open their province.
    var link: String?

    init(_ row: Safemap_Reporting_V1_SummaryRow) {
      key = row.groupKey
      name = Self.name(row)
      let n = VietnamNumber.text(_:) as (Int32) -> String
      issued = n(row.issued)
      stopped = n(row.stopped)
      active = n(row.active)
      assessed = n(row.assessed)
      safe = n(row.safe)
      atRisk = n(row.atRisk)
      unsafe = n(row.unsafe)
      overdue = n(row.overdue)
      never = n(row.neverAssessed)
      inspected = n(row.inspected)
      mismatch = n(row.selfAssessedSafeInspectedUnsafe)
      rate = VietnamNumber.decimal(row.assessedRatePercent)
    }

    static func name(_ row: Safemap_Reporting_V1_SummaryRow) -> String {
      switch row.groupKey {
      case "INSIDE": "Trong khu, cụm công nghiệp"
      case "OUTSIDE": "Ngoài khu, cụm công nghiệp"
      case "TOTAL": "Tổng cộng"
      default: row.groupName.isEmpty ? row.groupKey : row.groupName
      }
    }
  }

  static let groupings: [(String, String, Safemap_Reporting_V1_SummaryGrouping)] = [
    ("zone_location", "Trong và ngoài khu công nghiệp (R1)", .zoneLocation),
    ("district", "Theo huyện (R2)", .district),
    ("zone", "Theo khu, cụm công nghiệp (R3)", .zone),
  ]

  func dashboard(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let query = try ReportQuery(request, session: session)
    let chosen = request.uri.queryParameters["grouping"].map(String.init) ?? "zone_location"
    guard let grouping = Self.groupings.first(where: { $0.0 == chosen }) else {
      throw WebError.badRequest("grouping: zone_location, district hoặc zone.")
    }
    let isMinistry = session.account.role == .ministryAdmin
    if query.province.isEmpty {
      // The ministry without a province: R6, one row per province, each opening its R1.
      return try await national(query, session: session, context: context)
    }
    let response = try await site.backend.reports.getProvinceSummary(
      .with {
        $0.provinceCode = query.province
        $0.grouping = grouping.2
        if let asOf = query.timestamp { $0.asOfTime = asOf }
      },
      metadata: try await site.metadata(context)
    )
    let total = response.total
    let checks = Self.checks(total, rows: response.rows, sumsToTotal: grouping.2 != .zone)
    let provinceName = await site.provinces.name(query.province)
    return site.templates.page(
      "dashboard",
      DashboardPage(
        chrome: Chrome(title: "Báo cáo tỉnh \(provinceName)", session: session),
        province: query.province,
        provinceName: provinceName,
        isMinistry: isMinistry,
        isNational: false,
        asOf: query.asOfText,
        asOfShown: VietnamTime.text(response.asOfTime.date),
        groupings: Self.groupings.map {
          GroupingOption(value: $0.0, name: $0.1, selected: $0.0 == chosen)
        },
        groupName: grouping.1,
        rows: response.rows.map(Row.init),
        total: Row(total),
        checks: checks
      )
    )
  }

  /// R6 for the ministry: every province, each row a link to its R1.
  private func national(_ query: ReportQuery, session: WebSession, context: WebContext)
    async throws -> Response
  {
    let response = try await site.backend.reports.getNationalSummary(
      .with { if let asOf = query.timestamp { $0.asOfTime = asOf } },
      metadata: try await site.metadata(context)
    )
    let total = response.total
    let asOf = query.asOfText.isEmpty ? nil : query.asOfText
    let rows = response.rows.map { row in
      var shown = Row(row)
      shown.link = FormEncoding.link("/dashboard", [("province", row.groupKey), ("as_of", asOf)])
      return shown
    }
    return site.templates.page(
      "dashboard",
      DashboardPage(
        chrome: Chrome(title: "Báo cáo toàn quốc", session: session),
        province: "",
        provinceName: "",
        isMinistry: true,
        isNational: true,
        asOf: query.asOfText,
        asOfShown: VietnamTime.text(response.asOfTime.date),
        groupings: [],
        groupName: "Theo tỉnh, thành phố (R6)",
        rows: rows,
        total: Row(total),
        checks: Self.checks(total, rows: response.rows, sumsToTotal: true)
      )
    )
  }

  /// The invariants of a summary, written out so an official sees them hold (or not).
  static func checks(
    _ total: Safemap_Reporting_V1_SummaryRow,
    rows: [Safemap_Reporting_V1_SummaryRow],
    sumsToTotal: Bool
  ) -> [Check] {
    let n = VietnamNumber.text(_:) as (Int32) -> String
    var checks = [
      Check(
        text:
          "Được cấp (\(n(total.issued))) = ngưng hoạt động (\(n(total.stopped))) + đang hoạt động (\(n(total.active)))",
        holds: total.issued == total.stopped + total.active
      ),
      Check(
        text:
          "Đang hoạt động (\(n(total.active))) = đã đánh giá (\(n(total.assessed))) + quá hạn (\(n(total.overdue))) + chưa đánh giá (\(n(total.neverAssessed)))",
        holds: total.active == total.assessed + total.overdue + total.neverAssessed
      ),
      Check(
        text:
          "Đã đánh giá (\(n(total.assessed))) = an toàn (\(n(total.safe))) + có nguy cơ (\(n(total.atRisk))) + không an toàn (\(n(total.unsafe)))",
        holds: total.assessed == total.safe + total.atRisk + total.unsafe
      ),
    ]
    // Zones (R3) may leave facilities outside every zone: their rows need not add up.
    if sumsToTotal {
      checks.append(
        Check(
          text:
            "Tổng các dòng (\(n(rows.reduce(0) { $0 + $1.issued })) được cấp) bằng dòng tổng cộng",
          holds: rows.reduce(0) { $0 + $1.issued } == total.issued
        )
      )
    }
    return checks
  }
}
