import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import NIOCore
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// The officials' lists: R4 (never assessed or overdue), R5 (at risk or unsafe) and who has not
/// finished a campaign, paged (`/lists`) and exported whole as CSV (`/lists/export.csv`).
struct ListPages {
  let site: Site

  func register(_ routes: Routes) {
    routes.officials.get("/lists") { request, context in try await list(request, context) }
    routes.officials.get("/lists/export.csv") { request, context in
      try await export(request, context)
    }
  }

  /// The lists a page shows, by their `kind` in the address.
  enum Kind: String, CaseIterable {
    /// R4: never assessed or overdue.
    case r4
    /// R5: at risk or unsafe.
    case r5
    /// Who has not finished a campaign.
    case campaign

    var title: String {
      switch self {
      case .r4: "Chưa đánh giá hoặc quá hạn (R4)"
      case .r5: "Có nguy cơ hoặc không an toàn (R5)"
      case .campaign: "Chưa hoàn thành đợt đôn đốc"
      }
    }

    var levels: [Safemap_Common_V1_MapLevel] {
      switch self {
      case .r4: [.notAssessed, .overdue]
      case .r5: [.atRisk, .unsafe]
      case .campaign: []
      }
    }
  }

  struct ListPage {
    var chrome: Chrome
    var title: String
    var kind: String
    var province: String
    var district: String
    var asOf: String
    var rows: [ListRow]
    var total: String
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
    -> (Kind, ReportQuery, Safemap_Reporting_V1_FacilityStatusFilter)
  {
    let query = try ReportQuery(request, session: session)
    guard let kind = Kind(rawValue: request.uri.queryParameters["kind"].map(String.init) ?? "r4")
    else { throw WebError.badRequest("kind: r4, r5 hoặc campaign.") }
    let district = request.uri.queryParameters["district"].map(String.init) ?? ""
    if !district.isEmpty, !DistrictCode.isWellFormed(district) {
      throw WebError.badRequest("district: mã huyện gồm ba chữ số.")
    }
    var filter = Safemap_Reporting_V1_FacilityStatusFilter()
    filter.mapLevels = kind.levels
    filter.districtCode = district
    if kind == .campaign {
      let campaign = request.uri.queryParameters["campaign"].map(String.init) ?? ""
      guard UUID(uuidString: campaign) != nil else {
        throw WebError.badRequest("campaign: mã đợt đôn đốc.")
      }
      filter.campaignID = campaign
    }
    return (kind, query, filter)
  }

  func list(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
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
    // The same list, as its next page and as the whole CSV.
    func link(_ path: String, _ extra: [(String, String?)] = []) -> String {
      FormEncoding.link(
        path,
        [
          ("kind", kind.rawValue), ("province", query.province), ("district", filter.districtCode),
          ("as_of", query.asOfText), ("campaign", filter.campaignID),
        ] + extra
      )
    }
    let next =
      response.nextPageToken.isEmpty
      ? nil : link("/lists", [("page_token", response.nextPageToken)])
    return site.templates.page(
      "list",
      ListPage(
        chrome: Chrome(title: kind.title, session: session),
        title: kind.title,
        kind: kind.rawValue,
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
            index: row.hasLastAssessmentTime ? VietnamNumber.decimal(row.indexPercent) : "—"
          )
        },
        total: VietnamNumber.text(response.totalSize),
        shown: response.rows.count,
        nextPage: next,
        exportLink: link("/lists/export.csv"),
        isR4: kind == .r4,
        campaign: filter.campaignID,
        isCampaign: !filter.campaignID.isEmpty
      )
    )
  }

  /// The whole list as CSV, streamed as reporting-service streams it (a province's list is
  /// never held in memory). UTF-8 with a byte-order mark, so Excel shows Vietnamese.
  func export(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let (kind, query, filter) = try listRequest(request, session)
    let metadata = try await site.metadata(context)
    let reports = site.backend.reports
    let exportRequest = Safemap_Reporting_V1_ExportFacilityStatusesRequest.with {
      $0.provinceCode = query.province
      $0.filter = filter
      if let asOf = query.timestamp { $0.asOfTime = asOf }
    }
    return CSVDownload.streamed(
      named: "safemap-\(query.province)-\(kind.rawValue)",
      titles: ExportColumns.titles
    ) { record in
      try await reports.exportFacilityStatuses(exportRequest, metadata: metadata) { response in
        for try await message in response.messages {
          try await record(ExportColumns.fields(message.row))
        }
      }
    }
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
