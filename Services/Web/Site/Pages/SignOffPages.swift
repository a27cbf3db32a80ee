import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import SafeMapAPI
import SafeMapClient
import SafeMapCore
import SwiftProtobuf

/// Districts report back on a campaign: who has reported (`/campaigns/:id/units`), a unit
/// officer's submission, the province's review of several units at once, and the
/// department's letter as a printable page (`/campaigns/:id/letter`).
struct SignOffPages {
  let site: Site

  func register(_ routes: Routes) {
    routes.officials.get("/campaigns/:id/units") { request, context in
      try await units(request, context)
    }
    routes.officials.post("/campaigns/:id/submit") { request, context in
      try await submit(request, context)
    }
    routes.officials.post("/campaigns/:id/review") { request, context in
      try await review(request, context)
    }
    routes.officials.get("/campaigns/:id/letter") { request, context in
      try await letter(request, context)
    }
    routes.officials.get("/campaigns/:id/letter/:annex") { request, context in
      try await annex(request, context)
    }
  }

  struct UnitsPage {
    var chrome: Chrome
    var province: String
    var id: String
    var title: String
    var deadline: String
    var expected: String
    var submitted: String
    var accepted: String
    var onTime: String
    var late: String
    var missing: String
    var rate: String
    var units: [UnitRow]
    var mayReview: Bool
    var maySubmit: Bool
    var mayReadLetter: Bool
    var notice: String?
  }

  struct UnitRow {
    /// `district:694` or `zone:<id>`: the review form's value.
    var key: String
    var name: String
    var kind: String
    var active: String
    var state: String
    var timeliness: String
    var submitted: String
    var comment: String
    var reason: String
    var hash: String
  }

  private func campaignID(_ context: WebContext) throws -> String {
    let id = try context.parameters.require("id")
    guard UUID(uuidString: id) != nil else { throw WebError.notFound("Không có đợt này.") }
    return id
  }

  func units(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let id = try campaignID(context)
    let rate = try await site.backend.reports.getReportingRate(
      .with {
        $0.provinceCode = try site.province(request, session)
        $0.campaignID = id
      },
      metadata: try await site.metadata(context)
    )
    let role = session.account.role
    let notice = request.uri.queryParameters["done"].map { done in
      done == "submit" ? "Đã gửi báo cáo của đơn vị." : "Đã cập nhật báo cáo của các đơn vị."
    }
    return site.templates.page(
      "units",
      UnitsPage(
        chrome: Chrome(title: "Báo cáo của các đơn vị", session: session),
        province: rate.campaign.provinceCode,
        id: id,
        title: rate.campaign.title,
        deadline: VietnamTime.text(rate.campaign.deadline.date),
        expected: VietnamNumber.text(rate.expected),
        submitted: VietnamNumber.text(rate.submitted),
        accepted: VietnamNumber.text(rate.accepted),
        onTime: VietnamNumber.text(rate.onTime),
        late: VietnamNumber.text(rate.late),
        missing: VietnamNumber.text(rate.missing),
        rate: VietnamNumber.decimal(rate.ratePercent),
        units: rate.units.map(Self.row),
        mayReview: role == .provinceOfficer,
        maySubmit: role == .districtOfficer || role == .zoneOfficer,
        mayReadLetter: [.provinceOfficer, .ministryAdmin, .healthInspector].contains(role),
        notice: notice
      )
    )
  }

  static func row(_ status: Safemap_Reporting_V1_UnitReportStatus) -> UnitRow {
    UnitRow(
      key: "\(status.unit.kind == .zone ? "zone" : "district"):\(status.unit.code)",
      name: status.unit.name,
      kind: status.unit.kind == .zone ? "Ban quản lý khu" : "Huyện",
      active: VietnamNumber.text(status.activeFacilities),
      state: Vietnamese.unitState(status.state),
      timeliness: Vietnamese.timeliness(status.timeliness),
      submitted: status.hasSubmitTime ? VietnamTime.text(status.submitTime.date) : "",
      comment: status.comment,
      reason: status.reason,
      hash: String(status.contentHash.prefix(12))
    )
  }

  func submit(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let id = try campaignID(context)
    let form = try await Form.read(request, context: context)
    let comment = try form.text(
      "comment",
      label: "Ý kiến",
      required: false,
      maximum: UnitReport.maximumTextLength
    )
    _ = try await site.backend.reports.submitUnitReport(
      .with {
        $0.provinceCode = session.account.provinceCode
        $0.campaignID = id
        $0.comment = comment
      },
      metadata: try await site.metadata(context)
    )
    return .redirect(to: "/campaigns/\(id)/units?done=submit", type: .found)
  }

  func review(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let id = try campaignID(context)
    let form = try await Form.read(request, context: context)
    let action: Safemap_Reporting_V1_ReviewAction
    switch form["action"] {
    case "ACCEPT": action = .accept
    case "RETURN": action = .return
    case "REOPEN": action = .reopen
    default: throw WebError.badRequest("Hãy chọn: chấp nhận, trả lại hoặc mở lại.")
    }
    let chosen = form.fields["unit"] ?? []
    guard !chosen.isEmpty else { throw WebError.badRequest("Hãy chọn ít nhất một đơn vị.") }
    guard chosen.count <= UnitReport.maximumReviewUnits else {
      throw WebError.badRequest("Tối đa \(UnitReport.maximumReviewUnits) đơn vị mỗi lần.")
    }
    let units = try chosen.map { value -> Safemap_Reporting_V1_ReportingUnit in
      let parts = value.split(separator: ":", maxSplits: 1).map(String.init)
      guard parts.count == 2, ["district", "zone"].contains(parts[0]) else {
        throw WebError.badRequest("Đơn vị không hợp lệ.")
      }
      return .with {
        $0.kind = parts[0] == "zone" ? .zone : .district
        $0.code = parts[1]
      }
    }
    let reason = try form.text(
      "reason",
      label: "Lý do",
      required: action != .accept,
      maximum: UnitReport.maximumTextLength
    )
    _ = try await site.backend.reports.reviewUnitReports(
      .with {
        $0.provinceCode = session.account.provinceCode
        $0.campaignID = id
        $0.units = units
        $0.action = action
        $0.reason = reason
      },
      metadata: try await site.metadata(context)
    )
    return .redirect(to: "/campaigns/\(id)/units?done=review", type: .found)
  }

  struct LetterPage {
    var chrome: Chrome
    var id: String
    var province: String
    var provinceName: String
    var title: String
    var date: String
    var paragraphs: [String]
    var sources: [SourceRow]
  }

  struct SourceRow {
    var name: String
    var source: String
  }

  func letter(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let id = try campaignID(context)
    let letter = try await site.backend.reports.getCampaignLetter(
      .with {
        $0.provinceCode = try site.province(request, session)
        $0.campaignID = id
      },
      metadata: try await site.metadata(context)
    )
    return site.templates.page(
      "letter",
      LetterPage(
        chrome: Chrome(title: "Dự thảo báo cáo: \(letter.campaign.title)", session: session),
        id: id,
        province: letter.campaign.provinceCode,
        provinceName: letter.provinceName,
        title: letter.campaign.title,
        date: VietnamTime.text(letter.draftTime.date),
        paragraphs: letter.paragraphs,
        sources: letter.sources.map { source in
          SourceRow(
            name: source.unit.name,
            source: source.fromSnapshot
              ? "Báo cáo được chấp nhận (chốt lúc \(VietnamTime.text(source.snapshotTime.date)))"
              : "Số liệu trên hệ thống lúc lập dự thảo"
          )
        }
      )
    )
  }

  /// `phu-luc-1.csv` (not assessed or overdue) or `phu-luc-2.csv` (at risk or unsafe): each
  /// district's rows from the same source as the letter's figures (``LetterAnnex``).
  func annex(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let id = try campaignID(context)
    let list: Safemap_Reporting_V1_FrozenList
    switch try context.parameters.require("annex") {
    case "phu-luc-1.csv": list = .notAssessed
    case "phu-luc-2.csv": list = .atRisk
    default: throw WebError.notFound("Không có phụ lục này.")
    }
    let metadata = try await site.metadata(context)
    let reports = site.backend.reports
    let letter = try await reports.getCampaignLetter(
      .with {
        $0.provinceCode = try site.province(request, session)
        $0.campaignID = id
      },
      metadata: metadata
    )
    return CSVDownload.streamed(
      named:
        "safemap-\(letter.campaign.provinceCode)-\(list == .notAssessed ? "phu-luc-1" : "phu-luc-2")",
      titles: ExportColumns.titles
    ) { record in
      _ = try await LetterAnnex.rows(of: letter, list: list, reporting: reports, metadata: metadata)
      {
        row in try await record(ExportColumns.fields(row))
      }
    }
  }
}
