import AsyncAlgorithms
import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import NIOCore
import SafeMapAPI
import SafeMapCore
import SafeMapSheets
import SwiftProtobuf

/// The officials' reports: R1/R2/R3 as of any instant (`/dashboard`), the R4/R5 lists paged
/// (`/lists`) and exported whole as CSV (`/lists/export.csv`). What each official may see is
/// decided by reporting-service from the token; the pages only ask.
struct DashboardPages {
  let site: Site

  func register(_ router: Router<WebContext>) {
    router.get("/dashboard") { request, context in try await dashboard(request, context) }
    router.get("/lists") { request, context in try await list(request, context) }
    router.get("/lists/export.csv") { request, context in try await export(request, context) }
  }

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

  struct DashboardPage {
    var chrome: Chrome
    var province: String
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
    var issued: Int32
    var stopped: Int32
    var active: Int32
    var assessed: Int32
    var safe: Int32
    var atRisk: Int32
    var unsafe: Int32
    var overdue: Int32
    var never: Int32
    var inspected: Int32
    var mismatch: Int32
    var rate: String
    /// The national table's rows open their province.
    var link: String?

    init(_ row: Safemap_Reporting_V1_SummaryRow) {
      key = row.groupKey
      name = Self.name(row)
      issued = row.issued
      stopped = row.stopped
      active = row.active
      assessed = row.assessed
      safe = row.safe
      atRisk = row.atRisk
      unsafe = row.unsafe
      overdue = row.overdue
      never = row.neverAssessed
      inspected = row.inspected
      mismatch = row.selfAssessedSafeInspectedUnsafe
      rate = String(format: "%.1f", row.assessedRatePercent)
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
    let session = try site.official(context)
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
    return site.templates.page(
      "dashboard",
      DashboardPage(
        chrome: Chrome(title: "Báo cáo tỉnh \(query.province)", session: session),
        province: query.province,
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
    var asOf = URLQueryItem(name: "as_of", value: query.asOfText)
    if query.asOfText.isEmpty { asOf.value = nil }
    let rows = response.rows.map { row in
      var shown = Row(row)
      var link = URLComponents()
      link.path = "/dashboard"
      link.queryItems =
        [URLQueryItem(name: "province", value: row.groupKey)] + (asOf.value == nil ? [] : [asOf])
      shown.link = link.string
      return shown
    }
    return site.templates.page(
      "dashboard",
      DashboardPage(
        chrome: Chrome(title: "Báo cáo toàn quốc", session: session),
        province: "",
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
    var checks = [
      Check(
        text:
          "Được cấp (\(total.issued)) = ngưng hoạt động (\(total.stopped)) + đang hoạt động (\(total.active))",
        holds: total.issued == total.stopped + total.active
      ),
      Check(
        text:
          "Đang hoạt động (\(total.active)) = đã đánh giá (\(total.assessed)) + quá hạn (\(total.overdue)) + chưa đánh giá (\(total.neverAssessed))",
        holds: total.active == total.assessed + total.overdue + total.neverAssessed
      ),
      Check(
        text:
          "Đã đánh giá (\(total.assessed)) = an toàn (\(total.safe)) + có nguy cơ (\(total.atRisk)) + không an toàn (\(total.unsafe))",
        holds: total.assessed == total.safe + total.atRisk + total.unsafe
      ),
    ]
    // Zones (R3) may leave facilities outside every zone: their rows need not add up.
    if sumsToTotal {
      checks.append(
        Check(
          text: "Tổng các dòng (\(rows.reduce(0) { $0 + $1.issued }) được cấp) bằng dòng tổng cộng",
          holds: rows.reduce(0) { $0 + $1.issued } == total.issued
        )
      )
    }
    return checks
  }

  /// R4 (never assessed or overdue) and R5 (at risk or unsafe).
  static let kinds: [String: (String, [Safemap_Common_V1_MapLevel])] = [
    "r4": ("Chưa đánh giá hoặc quá hạn (R4)", [.notAssessed, .overdue]),
    "r5": ("Có nguy cơ hoặc không an toàn (R5)", [.atRisk, .unsafe]),
    "campaign": ("Chưa hoàn thành đợt đôn đốc", []),
  ]

  struct ListPage {
    var chrome: Chrome
    var title: String
    var kind: String
    var province: String
    var district: String
    var asOf: String
    var rows: [ListRow]
    var total: Int32
    var shown: Int
    var nextPage: String?
    var exportLink: String
    var isR4: Bool
    var campaign: String
    var isCampaign: Bool
  }

  struct ListRow {
    var facilityID: String
    var name: String
    var district: String
    var zone: String
    var phone: String
    var username: String
    var lastAssessed: String
    var level: Vietnamese.Level
    var index: String
  }

  private func listRequest(_ request: Request, _ session: WebSession) throws
    -> (String, ReportQuery, Safemap_Reporting_V1_FacilityStatusFilter)
  {
    let query = try ReportQuery(request, session: session)
    let kind = request.uri.queryParameters["kind"].map(String.init) ?? "r4"
    guard let levels = Self.kinds[kind]?.1 else {
      throw WebError.badRequest("kind: r4, r5 hoặc campaign.")
    }
    let district = request.uri.queryParameters["district"].map(String.init) ?? ""
    if !district.isEmpty, !DistrictCode.isWellFormed(district) {
      throw WebError.badRequest("district: mã huyện gồm ba chữ số.")
    }
    var filter = Safemap_Reporting_V1_FacilityStatusFilter()
    filter.mapLevels = levels
    filter.districtCode = district
    if kind == "campaign" {
      let campaign = request.uri.queryParameters["campaign"].map(String.init) ?? ""
      guard UUID(uuidString: campaign) != nil else {
        throw WebError.badRequest("campaign: mã đợt đôn đốc.")
      }
      filter.campaignID = campaign
    }
    return (kind, query, filter)
  }

  func list(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try site.official(context)
    let (kind, query, filter) = try listRequest(request, session)
    let pageToken = request.uri.queryParameters["page_token"].map(String.init) ?? ""
    guard pageToken.count <= 256 else { throw WebError.badRequest("page_token: quá dài.") }
    let response = try await site.backend.reports.listFacilityStatuses(
      .with {
        $0.provinceCode = query.province
        $0.filter = filter
        $0.pageSize = 50
        $0.pageToken = pageToken
        if let asOf = query.timestamp { $0.asOfTime = asOf }
      },
      metadata: try await site.metadata(context)
    )
    var next: String?
    if !response.nextPageToken.isEmpty {
      var components = URLComponents()
      components.path = "/lists"
      components.queryItems = [
        URLQueryItem(name: "kind", value: kind),
        URLQueryItem(name: "province", value: query.province),
        URLQueryItem(name: "district", value: filter.districtCode),
        URLQueryItem(name: "as_of", value: query.asOfText),
        URLQueryItem(name: "campaign", value: filter.campaignID),
        URLQueryItem(name: "page_token", value: response.nextPageToken),
      ]
      next = components.string
    }
    var export = URLComponents()
    export.path = "/lists/export.csv"
    export.queryItems = [
      URLQueryItem(name: "kind", value: kind),
      URLQueryItem(name: "province", value: query.province),
      URLQueryItem(name: "district", value: filter.districtCode),
      URLQueryItem(name: "as_of", value: query.asOfText),
      URLQueryItem(name: "campaign", value: filter.campaignID),
    ]
    return site.templates.page(
      "list",
      ListPage(
        chrome: Chrome(title: Self.kinds[kind]!.0, session: session),
        title: Self.kinds[kind]!.0,
        kind: kind,
        province: query.province,
        district: filter.districtCode,
        asOf: query.asOfText,
        rows: response.rows.map { row in
          ListRow(
            facilityID: row.facilityID,
            name: row.name,
            district: row.districtName,
            zone: row.zoneName,
            phone: row.contactPhone,
            username: row.username,
            lastAssessed: row.hasLastAssessmentTime
              ? VietnamTime.day(row.lastAssessmentTime.date) : "—",
            level: Vietnamese.level(row.mapLevel),
            index: row.hasLastAssessmentTime ? String(format: "%.1f", row.indexPercent) : "—"
          )
        },
        total: response.totalSize,
        shown: response.rows.count,
        nextPage: next,
        exportLink: export.string ?? "/lists/export.csv",
        isR4: kind == "r4",
        campaign: filter.campaignID,
        isCampaign: !filter.campaignID.isEmpty
      )
    )
  }

  /// The whole list as CSV, streamed as reporting-service streams it (a province's list is
  /// never held in memory). UTF-8 with a byte-order mark, so Excel shows Vietnamese.
  func export(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try site.official(context)
    let (kind, query, filter) = try listRequest(request, session)
    let metadata = try await site.metadata(context)
    let reports = site.backend.reports
    let exportRequest = Safemap_Reporting_V1_ExportFacilityStatusesRequest.with {
      $0.provinceCode = query.province
      $0.filter = filter
      if let asOf = query.timestamp { $0.asOfTime = asOf }
    }
    // The call runs beside the response and hands it 64 KiB blocks through a channel that
    // holds one at a time: a slow download slows the export instead of filling memory.
    let blocks = AsyncThrowingChannel<ByteBuffer, any Error>()
    let body = ResponseBody { writer in
      let call = Task {
        do {
          try await reports.exportFacilityStatuses(exportRequest, metadata: metadata) {
            response in
            var block = ByteBuffer(bytes: [0xEF, 0xBB, 0xBF])
            block.writeBytes(try CSVRecord.encode(ExportColumns.titles, newline: "\r\n"))
            for try await message in response.messages {
              block.writeBytes(
                try CSVRecord.encode(ExportColumns.fields(message.row), newline: "\r\n")
              )
              if block.readableBytes >= 64 * 1024 {
                await blocks.send(block)
                block.clear()
              }
            }
            await blocks.send(block)
          }
          blocks.finish()
        } catch {
          blocks.fail(error)
        }
      }
      defer { call.cancel() }
      for try await block in blocks {
        try await writer.write(block)
      }
      try await writer.finish(nil)
    }
    let name = "safemap-\(query.province)-\(kind)-\(Self.fileDate()).csv"
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

  static func fileDate() -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = VietnamTime.zone
    let c = calendar.dateComponents([.year, .month, .day], from: Date())
    return String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
  }
}

/// R4/R5 columns with Vietnamese titles, as a department's spreadsheet has them.
enum ExportColumns {
  static let titles = [
    "Tên cơ sở", "Mã số thuế", "Địa chỉ", "Huyện", "Khu, cụm công nghiệp", "Điện thoại",
    "Tên đăng nhập", "Ngày cấp tài khoản", "Ngày tự đánh giá gần nhất", "Mức", "Chỉ số %",
  ]

  static func fields(_ row: Safemap_Reporting_V1_FacilityStatusRow) -> [String] {
    [
      row.name, row.taxCode, row.address, row.districtName, row.zoneName, row.contactPhone,
      row.username,
      row.hasAccountIssueTime ? VietnamTime.day(row.accountIssueTime.date) : "",
      row.hasLastAssessmentTime ? VietnamTime.day(row.lastAssessmentTime.date) : "",
      Vietnamese.level(row.mapLevel).name,
      row.hasLastAssessmentTime ? String(format: "%.1f", row.indexPercent) : "",
    ]
  }
}
