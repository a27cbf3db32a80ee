import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// Campaigns ("every active facility must assess before …"): the list, a province officer's
/// form to start one, and each campaign's progress by district and zone with the list of who
/// has not finished (`/lists?kind=campaign&campaign=…`, exportable like R4).
struct CampaignPages {
  let site: Site

  func register(_ routes: Routes) {
    routes.officials.get("/campaigns") { request, context in try await list(request, context) }
    routes.officials.post("/campaigns") { request, context in try await create(request, context) }
    routes.officials.get("/campaigns/:id") { request, context in
      try await progress(request, context)
    }
  }

  struct CampaignsPage {
    var chrome: Chrome
    var province: String
    var campaigns: [CampaignRow]
    var includePast: Bool
    var mayCreate: Bool
    var requestID: String
    var error: String?
    var title: String
    var deadline: String
    var district: String
    var description: String
  }

  struct CampaignRow {
    var id: String
    var title: String
    var district: String
    var start: String
    var deadline: String
  }

  func list(
    _ request: Request,
    _ context: WebContext,
    error: String? = nil,
    form: Form? = nil,
    status: HTTPResponse.Status = .ok
  ) async throws -> Response {
    let session = try context.signedIn
    let includePast = request.uri.queryParameters["past"] == "1"
    let province = try site.province(request, session)
    guard !province.isEmpty else {
      throw WebError.badRequest("Hãy chọn tỉnh: thêm ?province=74 (mã tỉnh) vào địa chỉ.")
    }
    let response = try await site.backend.reports.listCampaigns(
      .with {
        $0.provinceCode = province
        $0.includePast = includePast
        $0.pageSize = 100
      },
      metadata: try await site.metadata(context)
    )
    return site.templates.page(
      "campaigns",
      CampaignsPage(
        chrome: Chrome(title: "Đợt đôn đốc tự đánh giá", session: session),
        province: province,
        campaigns: response.campaigns.map { c in
          CampaignRow(
            id: c.campaignID,
            title: c.title,
            district: c.districtCode.isEmpty ? "Toàn tỉnh" : "Huyện \(c.districtCode)",
            start: VietnamTime.text(c.startTime.date),
            deadline: VietnamTime.text(c.deadline.date)
          )
        },
        includePast: includePast,
        mayCreate: session.account.role == .provinceOfficer,
        requestID: Secret.randomToken(),
        error: error,
        title: form?["title"] ?? "",
        deadline: form?["deadline"] ?? "",
        district: form?["district"] ?? "",
        description: form?["description"] ?? ""
      ),
      status: status
    )
  }

  func create(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let form = try await Form.read(request, context: context)
    let title = try form.text("title", label: "Tên đợt", maximum: 200)
    let description = try form.text("description", label: "Mô tả", required: false, maximum: 4_000)
    let district = try form.text("district", label: "Mã huyện", required: false, maximum: 3)
    let requestID = try form.text("request_id", label: "Mã yêu cầu", maximum: 64)
    guard let deadline = ReportQuery.parseLocal(form["deadline"] ?? "") else {
      return try await list(
        request,
        context,
        error: "Hạn chót: chọn ngày và giờ.",
        form: form,
        status: .badRequest
      )
    }
    do {
      let response = try await site.backend.reports.createCampaign(
        .with {
          $0.requestID = "web-\(requestID)"
          $0.campaign = .with {
            $0.provinceCode = session.account.provinceCode
            $0.title = title
            $0.description_p = description
            $0.districtCode = district
            $0.startTime = Google_Protobuf_Timestamp(date: Date())
            $0.deadline = Google_Protobuf_Timestamp(date: deadline)
          }
        },
        metadata: try await site.metadata(context)
      )
      return .redirect(to: "/campaigns/\(response.campaign.campaignID)", type: .found)
    } catch let error as RPCError where error.code == .invalidArgument {
      return try await list(
        request,
        context,
        error: "Không tạo được đợt: \(error.message)",
        form: form,
        status: .badRequest
      )
    }
  }

  struct ProgressPage {
    var chrome: Chrome
    var province: String
    var id: String
    var title: String
    var description: String?
    var deadline: String
    var byDistrict: [ProgressRow]
    var byZone: [ProgressRow]
    var total: ProgressRow
  }

  struct ProgressRow {
    var name: String
    var active: String
    var done: String
    var notDone: String
    var rate: String
  }

  func progress(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let id = try context.parameters.require("id")
    guard UUID(uuidString: id) != nil else { throw WebError.notFound("Không có đợt này.") }
    let response = try await site.backend.reports.getCampaignProgress(
      .with {
        $0.provinceCode = try site.province(request, session)
        $0.campaignID = id
      },
      metadata: try await site.metadata(context)
    )
    func row(_ r: Safemap_Reporting_V1_CampaignProgressRow) -> ProgressRow {
      ProgressRow(
        name: r.groupName.isEmpty ? r.groupKey : r.groupName,
        active: VietnamNumber.text(r.active),
        done: VietnamNumber.text(r.done),
        notDone: VietnamNumber.text(r.notDone),
        rate: VietnamNumber.decimal(r.doneRatePercent)
      )
    }
    let campaign = response.campaign
    return site.templates.page(
      "campaign",
      ProgressPage(
        chrome: Chrome(title: campaign.title, session: session),
        province: campaign.provinceCode,
        id: campaign.campaignID,
        title: campaign.title,
        description: campaign.description_p.isEmpty ? nil : campaign.description_p,
        deadline: VietnamTime.text(campaign.deadline.date),
        byDistrict: response.byDistrict.map(row),
        byZone: response.byZone.map(row),
        total: row(response.total)
      )
    )
  }
}
