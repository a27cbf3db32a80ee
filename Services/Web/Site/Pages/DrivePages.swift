import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// Nomination drives (`/nominations/drives`): the province asks every district and zone board
/// for facilities without an account by a deadline, and sees who has answered; a unit answers
/// by nominating, or by saying it has nothing (more) to nominate.
struct DrivePages {
  let site: Site

  func register(_ routes: Routes) {
    routes.officials.get("/nominations/drives") { request, context in
      try await list(request, context)
    }
    routes.officials.post("/nominations/drives") { request, context in
      try await create(request, context)
    }
    routes.officials.get("/nominations/drives/:id") { request, context in
      try await rate(request, context)
    }
    routes.officials.post("/nominations/drives/:id/respond") { request, context in
      try await respond(request, context)
    }
  }

  struct DrivesPage {
    var chrome: Chrome
    var province: String
    var drives: [DriveRow]
    var mayCreate: Bool
    var requestID: String
  }

  struct DriveRow {
    var id: String
    var title: String
    var deadline: String
  }

  func list(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let province = try site.province(request, session)
    let drives = try await site.backend.nominations.listNominationDrives(
      .with {
        $0.provinceCode = province
        $0.pageSize = 100
      },
      metadata: try await site.metadata(context)
    ).drives
    return site.templates.page(
      "drives",
      DrivesPage(
        chrome: Chrome(title: "Đợt rà soát cơ sở chưa có tài khoản", session: session),
        province: province,
        drives: drives.map {
          DriveRow(id: $0.driveID, title: $0.title, deadline: VietnamTime.text($0.deadline.date))
        },
        mayCreate: session.account.role == .provinceOfficer,
        requestID: UUID().uuidString.lowercased()
      )
    )
  }

  func create(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let form = try await Form.read(request, context: context)
    let title = try form.text("title", label: "Tên đợt", maximum: 300)
    let note = try form.text("note", label: "Nội dung", required: false)
    let requestID = try form.text("request_id", label: "Mã yêu cầu", maximum: 64)
    guard let deadline = ReportQuery.parseLocal(form["deadline"] ?? "") else {
      throw WebError.badRequest("Hạn trả lời: chọn ngày và giờ.")
    }
    let drive = try await site.backend.nominations.createNominationDrive(
      .with {
        $0.provinceCode = session.account.provinceCode
        $0.requestID = "web-\(requestID)"
        $0.drive = .with {
          $0.title = title
          $0.note = note
          $0.deadline = Google_Protobuf_Timestamp(date: deadline)
        }
      },
      metadata: try await site.metadata(context)
    ).drive
    return .redirect(to: "/nominations/drives/\(drive.driveID)", type: .found)
  }

  struct RatePage {
    var chrome: Chrome
    var id: String
    var title: String
    var note: String
    var deadline: String
    var expected: String
    var responded: String
    var onTime: String
    var late: String
    var missing: String
    var rate: String
    var units: [UnitRow]
    var mayRespond: Bool
    var notice: String?
  }

  struct UnitRow {
    var name: String
    var kind: String
    var timeliness: String
    var answered: String
    var nominated: String
    var comment: String
  }

  private func driveID(_ context: WebContext) throws -> String {
    let id = try context.parameters.require("id")
    guard UUID(uuidString: id) != nil else { throw WebError.notFound("Không có đợt này.") }
    return id
  }

  func rate(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let id = try driveID(context)
    let rate = try await site.backend.nominations.getNominationResponseRate(
      .with {
        $0.provinceCode = try site.province(request, session)
        $0.driveID = id
      },
      metadata: try await site.metadata(context)
    )
    let role = session.account.role
    return site.templates.page(
      "drive",
      RatePage(
        chrome: Chrome(title: rate.drive.title, session: session),
        id: id,
        title: rate.drive.title,
        note: rate.drive.note,
        deadline: VietnamTime.text(rate.drive.deadline.date),
        expected: VietnamNumber.text(rate.expected),
        responded: VietnamNumber.text(rate.responded),
        onTime: VietnamNumber.text(rate.onTime),
        late: VietnamNumber.text(rate.late),
        missing: VietnamNumber.text(rate.missing),
        rate: VietnamNumber.decimal(rate.rate * 100),
        units: rate.units.map { unit in
          UnitRow(
            name: unit.unitName,
            kind: unit.unit.kind == .zone ? "Ban quản lý khu" : "Huyện",
            timeliness: Vietnamese.timeliness(unit.timeliness),
            answered: unit.hasRespondTime ? VietnamTime.text(unit.respondTime.date) : "",
            nominated: VietnamNumber.text(unit.nominated),
            comment: unit.comment
          )
        },
        mayRespond: role == .districtOfficer || role == .zoneOfficer,
        notice: request.uri.queryParameters["done"] == nil ? nil : "Đã ghi nhận trả lời của đơn vị."
      )
    )
  }

  func respond(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let id = try driveID(context)
    let form = try await Form.read(request, context: context)
    let comment = try form.text("comment", label: "Ý kiến", required: false)
    _ = try await site.backend.nominations.respondToNominationDrive(
      .with {
        $0.provinceCode = session.account.provinceCode
        $0.driveID = id
        $0.comment = comment
      },
      metadata: try await site.metadata(context)
    )
    return .redirect(to: "/nominations/drives/\(id)?done=respond", type: .found)
  }
}
