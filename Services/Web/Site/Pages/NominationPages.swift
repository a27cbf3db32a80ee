import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import SafeMapAPI
import SafeMapCore
import SafeMapSheets
import SwiftProtobuf

/// Nominations on the web (`/nominations`): a unit's officer nominates one facility with a
/// form or a pasted sheet (the same reader as bulk issuance, with line numbers), answers the
/// province's questions and sees each facility through to its first sign-in; the province
/// ticks and approves, rejects or asks, then issues the approved ones as one batch. Drives
/// (`/nominations/drives`) ask every unit by a deadline and show who has answered.
struct NominationPages {
  let site: Site

  func register(_ routes: Routes) {
    routes.officials.get("/nominations") { request, context in
      try await list(request, context)
    }
    routes.officials.post("/nominations") { request, context in
      try await nominateOne(request, context)
    }
    routes.officials.post("/nominations/sheet") { request, context in
      try await nominateSheet(request, context)
    }
    routes.officials.post("/nominations/review") { request, context in
      try await review(request, context)
    }
    routes.officials.post("/nominations/issue") { request, context in
      try await issue(request, context)
    }
    routes.officials.post("/nominations/:id/answer") { request, context in
      try await answer(request, context)
    }
    DrivePages(site: site).register(routes)
  }

  struct NominationsPage {
    var chrome: Chrome
    var notice: String?
    var problems: [Problem]
    var hasProblems: Bool
    var rows: [Row]
    var states: [Option]
    var next: String?
    var mayNominate: Bool
    var mayReview: Bool
    var district: String
    var isZoneOfficer: Bool
    var zone: String
    var drives: [Option]
  }

  struct Row {
    var id: String
    var unit: String
    var name: String
    var taxCode: String
    var state: String
    var warnings: String
    var reason: String
    var comment: String
    var account: String
    var mayAnswer: Bool
  }

  struct Problem {
    var line: String
    var reason: String
  }

  struct Option {
    var value: String
    var label: String
    var selected: Bool
  }

  func list(
    _ request: Request,
    _ context: WebContext,
    notice: String? = nil,
    problems: [Problem] = []
  ) async throws -> Response {
    let session = try context.signedIn
    let province = try site.province(request, session)
    let state = request.uri.queryParameters["state"].map(String.init) ?? ""
    let chosen = Self.states.first { $0.0 == state }?.1 ?? .unspecified
    let metadata = try await site.metadata(context)
    let page = try await site.backend.nominations.listNominations(
      .with {
        $0.provinceCode = province
        $0.state = chosen
        $0.pageSize = 200
        $0.pageToken = request.uri.queryParameters["page"].map(String.init) ?? ""
      },
      metadata: metadata
    )
    let role = session.account.role
    let mayNominate = role == .districtOfficer || role == .zoneOfficer
    let drives =
      mayNominate
      ? try await site.backend.nominations.listNominationDrives(
        .with { $0.pageSize = 20 },
        metadata: metadata
      ).drives : []
    let doneNotice = request.uri.queryParameters["done"].map { Self.notices[String($0)] ?? "" }
    return site.templates.page(
      "nominations",
      NominationsPage(
        chrome: Chrome(title: "Đề xuất cấp tài khoản", session: session),
        notice: notice ?? doneNotice,
        problems: problems,
        hasProblems: !problems.isEmpty,
        rows: page.nominations.map { Self.row($0, mayAnswer: mayNominate) },
        states: Self.states.map { Option(value: $0.0, label: $0.2, selected: $0.0 == state) },
        next: page.nextPageToken.isEmpty
          ? nil : "/nominations?state=\(state)&page=\(page.nextPageToken)",
        mayNominate: mayNominate,
        mayReview: role == .provinceOfficer,
        district: session.account.districtCode,
        isZoneOfficer: role == .zoneOfficer,
        zone: session.account.zoneID,
        drives: drives.map { Option(value: $0.driveID, label: $0.title, selected: false) }
      )
    )
  }

  static let notices = [
    "nominate": "Đã gửi đề xuất.",
    "review": "Đã cập nhật các đề xuất đã chọn.",
    "answer": "Đã gửi trả lời; đề xuất chờ Sở xem xét lại.",
  ]

  /// `?state=` values, their API state and their label.
  static let states: [(String, Safemap_Account_V1_NominationState, String)] = [
    ("", .unspecified, "Tất cả"),
    ("submitted", .submitted, Vietnamese.nominationState(.submitted)),
    ("needs-information", .needsInformation, Vietnamese.nominationState(.needsInformation)),
    ("approved", .approved, Vietnamese.nominationState(.approved)),
    ("rejected", .rejected, Vietnamese.nominationState(.rejected)),
    ("issued", .issued, Vietnamese.nominationState(.issued)),
  ]

  static func row(_ nomination: Safemap_Account_V1_Nomination, mayAnswer: Bool) -> Row {
    Row(
      id: nomination.nominationID,
      unit: (nomination.unit.kind == .zone ? "Ban quản lý khu " : "Huyện ")
        + nomination.facility.districtCode,
      name: nomination.facility.name,
      taxCode: nomination.facility.taxCode,
      state: Vietnamese.nominationState(nomination.state),
      warnings: nomination.warnings.joined(separator: "; "),
      reason: nomination.reason,
      comment: nomination.comment,
      account: nomination.username.isEmpty
        ? ""
        : "\(nomination.username): "
          + Vietnamese.credentialStatus(nomination.credentialStatus),
      mayAnswer: mayAnswer && nomination.state == .needsInformation
    )
  }

  func nominateOne(_ request: Request, _ context: WebContext) async throws -> Response {
    let form = try await Form.read(request, context: context)
    let workers = try form.text("worker_count", label: "Số lao động", required: false, maximum: 7)
    guard workers.isEmpty || Int32(workers) != nil else {
      throw WebError.badRequest("Số lao động: một số nguyên.")
    }
    let facility = try Safemap_Account_V1_Facility.with {
      $0.name = try form.text("name", label: "Tên cơ sở", maximum: 300)
      $0.taxCode = try form.text("tax_code", label: "Mã số thuế", maximum: 14)
      $0.address = try form.text("address", label: "Địa chỉ", required: false, maximum: 500)
      $0.districtCode = try form.text("district_code", label: "Mã huyện", maximum: 3)
      $0.zoneID = try form.text("zone_id", label: "Khu", required: false, maximum: 36)
      $0.sector = try form.text("sector", label: "Ngành nghề", required: false, maximum: 200)
      $0.workerCount = Int32(workers) ?? 0
      $0.contactPhone = try form.text("contact_phone", label: "Điện thoại", required: false)
    }
    let comment = try form.text("comment", label: "Ghi chú", required: false)
    return try await nominate(
      [
        .with {
          $0.rowNumber = 1; $0.facility = facility; $0.comment = comment
        }
      ],
      drive: form["drive"] ?? "",
      request,
      context,
      lineLabel: { _ in "Biểu mẫu" }
    )
  }

  /// A pasted sheet: the columns of bulk issuance, read by the same reader.
  func nominateSheet(_ request: Request, _ context: WebContext) async throws -> Response {
    let form = try await Form.read(request, context: context)
    let text = try form.text("csv", label: "Nội dung CSV", maximum: 1_000_000)
    let parsed: FacilityCSV
    do {
      parsed = try FacilityCSV.parse(text + "\n", limit: Nomination.maximumRows)
    } catch {
      throw WebError.badRequest("Nội dung CSV không đọc được: \(error.description)")
    }
    let rejected = parsed.rejected.map { Problem(line: "Dòng \($0.line)", reason: $0.reason) }
    guard !parsed.rows.isEmpty else {
      return try await list(
        request,
        context,
        notice: "Không có dòng nào đọc được.",
        problems: rejected
      )
    }
    return try await nominate(
      parsed.rows.map { row in
        .with {
          $0.rowNumber = Int32(row.line)
          $0.facility = row.facility
        }
      },
      drive: form["drive"] ?? "",
      request,
      context,
      earlier: rejected,
      lineLabel: { "Dòng \($0)" }
    )
  }

  private func nominate(
    _ rows: [Safemap_Account_V1_NominationRow],
    drive: String,
    _ request: Request,
    _ context: WebContext,
    earlier: [Problem] = [],
    lineLabel: (Int32) -> String
  ) async throws -> Response {
    let session = try context.signedIn
    let response = try await site.backend.nominations.nominateFacilities(
      .with {
        $0.provinceCode = session.account.provinceCode
        $0.driveID = drive
        $0.rows = rows
      },
      metadata: try await site.metadata(context)
    )
    var problems = earlier
    for result in response.results {
      if result.outcome == .rejected {
        problems.append(
          Problem(
            line: lineLabel(result.rowNumber),
            reason: result.violations.map { "\($0.field): \($0.description_p)" }
              .joined(separator: "; ")
          )
        )
      }
      for warning in result.nomination.warnings {
        problems.append(Problem(line: lineLabel(result.rowNumber), reason: "Lưu ý: \(warning)"))
      }
    }
    let notice =
      "Đã đề xuất \(response.nominated) cơ sở; \(response.alreadyNominated) đã đề xuất trước đó; "
      + "\(Int(response.rejected) + earlier.count) dòng không nhận."
    return try await list(request, context, notice: notice, problems: problems)
  }

  func review(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let form = try await Form.read(request, context: context)
    let action: Safemap_Account_V1_NominationReviewAction
    switch form["action"] {
    case "APPROVE": action = .approve
    case "REJECT": action = .reject
    case "ASK": action = .askForInformation
    default: throw WebError.badRequest("Hãy chọn: duyệt, không duyệt hoặc yêu cầu bổ sung.")
    }
    let ids = form.fields["id"] ?? []
    guard !ids.isEmpty else { throw WebError.badRequest("Hãy chọn ít nhất một đề xuất.") }
    guard ids.count <= Nomination.maximumReviewed else {
      throw WebError.badRequest("Tối đa \(Nomination.maximumReviewed) đề xuất mỗi lần.")
    }
    let reason = try form.text("reason", label: "Lý do", required: action != .approve)
    _ = try await site.backend.nominations.reviewNominations(
      .with {
        $0.provinceCode = session.account.provinceCode
        $0.nominationIds = ids
        $0.action = action
        $0.reason = reason
      },
      metadata: try await site.metadata(context)
    )
    return .redirect(to: "/nominations?done=review", type: .found)
  }

  func answer(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let id = try context.parameters.require("id")
    guard UUID(uuidString: id) != nil else { throw WebError.notFound("Không có đề xuất này.") }
    let form = try await Form.read(request, context: context)
    let comment = try form.text("comment", label: "Trả lời")
    _ = try await site.backend.nominations.updateNomination(
      .with {
        $0.provinceCode = session.account.provinceCode
        $0.nominationID = id
        $0.comment = comment
      },
      metadata: try await site.metadata(context)
    )
    return .redirect(to: "/nominations?done=answer", type: .found)
  }

  /// The approved nominations as one batch; the units hand the credentials out.
  func issue(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let form = try await Form.read(request, context: context)
    let note = try form.text("note", label: "Ghi chú", required: false, maximum: 500)
    let province = session.account.provinceCode
    let summary = try await site.backend.facilities.issueFacilityAccounts(
      metadata: try await site.metadata(context)
    ) { writer in
      try await writer.write(
        .with {
          $0.options = .with {
            $0.provinceCode = province
            $0.approvedNominations = true
            $0.credentialDelivery = .handOut
            $0.note = note.isEmpty ? "Cấp theo đề xuất đã duyệt" : note
          }
        }
      )
    } onResponse: { response in
      var summary = Safemap_Account_V1_IssuanceBatch()
      for try await message in response.messages {
        if case .summary(let batch) = message.item { summary = batch }
      }
      return summary
    }
    return try await list(
      request,
      context,
      notice: "Đã cấp \(summary.issuedCount) tài khoản (\(summary.alreadyIssuedCount) đã có, "
        + "\(summary.rejectedCount) không cấp được). Mỗi huyện, ban quản lý khu giao tài khoản "
        + "cho cơ sở của mình tại trang Giao tài khoản."
    )
  }
}
