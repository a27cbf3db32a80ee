import Foundation
import GRPCCore
import Hummingbird
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// A facility's page: profile, operating status, current level by kind, the history of its
/// self-assessments and its inspections. Officials open any facility in their scope
/// (account-service and assessment-service refuse the rest); a facility account opens its own
/// at `/facility`.
struct FacilityPages {
  let site: Site

  func register(_ routes: Routes) {
    routes.facilities.get("/facility") { _, context in
      let session = try context.signedIn
      return Response.redirect(to: "/facilities/\(session.account.facilityID)")
    }
    routes.signedIn.get("/facilities/:id") { request, context in try await page(request, context) }
  }

  struct FacilityPage {
    var chrome: Chrome
    var name: String
    var facts: [Fact]
    var level: Vietnamese.Level
    var kinds: [KindRow]
    var history: [HistoryRow]
    var inspections: [InspectionRow]
    var inspectionsHidden: Bool
    var isOwn: Bool
    var hasDormitory: Bool
  }

  struct Fact {
    var label: String
    var value: String
  }

  struct KindRow {
    var kind: String
    var level: Vietnamese.Level
    var index: String
    var submitted: String
    var validUntil: String
  }

  struct HistoryRow {
    var submitted: String
    var kind: String
    var level: Vietnamese.Level
    var index: String
    var topCriteria: String
  }

  struct InspectionRow {
    var date: String
    var level: Vietnamese.Level
    var inspector: String
    var findings: String
  }

  static func kindName(_ kind: Safemap_Common_V1_AssessmentKind) -> String {
    kind == .dormitory ? "Khu lưu trú công nhân" : "Nơi làm việc"
  }

  static func statusName(_ status: Safemap_Common_V1_OperatingStatus) -> String {
    switch status {
    case .suspended: "Tạm dừng hoạt động"
    case .closed: "Ngừng hoạt động"
    default: "Đang hoạt động"
    }
  }

  func page(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let id = try context.parameters.require("id")
    guard UUID(uuidString: id) != nil else { throw WebError.notFound("Không có cơ sở này.") }
    let province =
      request.uri.queryParameters["province"].map(String.init) ?? session.account.provinceCode
    guard Tenant.province(province) != nil else {
      throw WebError.badRequest("province: mã tỉnh gồm hai chữ số.")
    }
    let metadata = try await site.metadata(context)
    let backend = site.backend
    async let facilityCall = backend.facilities.getFacility(
      .with {
        $0.provinceCode = province
        $0.facilityID = id
      },
      metadata: metadata
    )
    async let statusCall = backend.assessments.getFacilityStatus(
      .with {
        $0.provinceCode = province
        $0.facilityID = id
      },
      metadata: metadata
    )
    async let historyCall = backend.assessments.listAssessments(
      .with {
        $0.provinceCode = province
        $0.facilityID = id
        $0.pageSize = 20
      },
      metadata: metadata
    )
    let facility = try await facilityCall.facility
    let status = try await statusCall.status
    let history = try await historyCall.assessments
    // Inspections are for officials; a facility that may not read them sees none.
    var inspections: [Safemap_Assessment_V1_Inspection] = []
    var hidden = false
    do {
      inspections = try await backend.assessments.listInspections(
        .with {
          $0.provinceCode = province
          $0.facilityID = id
          $0.pageSize = 20
        },
        metadata: metadata
      ).inspections
    } catch let error as RPCError where error.code == .permissionDenied {
      hidden = true
    }
    var kinds: [KindRow] = []
    for (kind, present) in [
      (status.workplace, status.hasWorkplace), (status.dormitory, status.hasDormitory),
    ] where present {
      kinds.append(
        KindRow(
          kind: Self.kindName(kind.kind),
          level: Vietnamese.level(kind.overdue ? .overdue : kind.mapLevel),
          index: VietnamNumber.decimal(kind.indexPercent),
          submitted: kind.hasSubmitTime ? VietnamTime.text(kind.submitTime.date) : "—",
          validUntil: kind.hasValidUntil ? VietnamTime.text(kind.validUntil.date) : "—"
        )
      )
    }
    let facts = [
      Fact(label: "Mã số thuế", value: facility.taxCode),
      Fact(label: "Địa chỉ", value: facility.address),
      Fact(label: "Mã huyện", value: facility.districtCode),
      Fact(label: "Ngành", value: facility.sector),
      Fact(label: "Số lao động", value: String(facility.workerCount)),
      Fact(
        label: "Diện tích nhà xưởng (m²)",
        value: String(format: "%.0f", facility.workshopAreaM2)
      ),
      Fact(
        label: "Khu lưu trú công nhân",
        value: facility.hasDormitory_p ? "Có (\(facility.dormitoryResidents) người)" : "Không"
      ),
      Fact(label: "Điện thoại", value: facility.contactPhone),
      Fact(label: "Thư điện tử", value: facility.contactEmail),
      Fact(label: "Tình trạng", value: Self.statusName(facility.operatingStatus)),
      Fact(label: "Tên đăng nhập", value: facility.username),
    ]
    return site.templates.page(
      "facility",
      FacilityPage(
        chrome: Chrome(title: facility.name, session: session),
        name: facility.name,
        facts: facts,
        level: Vietnamese.level(status.mapLevel),
        kinds: kinds,
        history: history.map { a in
          HistoryRow(
            submitted: VietnamTime.text(a.submitTime.date),
            kind: Self.kindName(a.kind),
            level: Vietnamese.level(a.mapLevel),
            index: VietnamNumber.decimal(a.indexPercent),
            topCriteria: a.topCriteria.map { "\($0.criterionCode) (\($0.points))" }
              .joined(separator: ", ")
          )
        },
        inspections: inspections.map { i in
          InspectionRow(
            date: String(
              format: "%02d/%02d/%04d",
              i.inspectionDate.day,
              i.inspectionDate.month,
              i.inspectionDate.year
            ),
            level: Vietnamese.level(i.levelFound),
            inspector: i.inspectorName,
            findings: i.findings
          )
        },
        inspectionsHidden: hidden,
        isOwn: session.account.facilityID == id,
        hasDormitory: facility.hasDormitory_p
      )
    )
  }
}
