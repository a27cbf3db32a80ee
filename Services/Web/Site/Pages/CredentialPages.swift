import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// The credential hand-out on the web (`/credentials`): per unit, how many facility accounts
/// await hand-out, are handed out, activated or expired; a unit's officer ticks its own
/// facilities and downloads their one-time passwords as a sheet, once, or prints one letter
/// per facility, and reissues the expired ones. The passwords are in that one response only.
struct CredentialPages {
  let site: Site

  func register(_ routes: Routes) {
    routes.officials.get("/credentials") { request, context in
      try await list(request, context)
    }
    routes.officials.post("/credentials/hand-out") { request, context in
      try await handOut(request, context)
    }
  }

  struct CredentialsPage {
    var chrome: Chrome
    var province: String
    var units: [UnitRow]
    var rows: [Row]
    var statuses: [NominationPages.Option]
    var unit: String
    var mayHandOut: Bool
    var listed: Bool
    var next: String?
  }

  struct UnitRow {
    var key: String
    var name: String
    var kind: String
    var awaiting: String
    var handedOut: String
    var activated: String
    var expired: String
  }

  struct Row {
    var id: String
    var name: String
    var taxCode: String
    var district: String
    var username: String
    var status: String
    var handedOut: String
    var expires: String
    var activated: String
  }

  /// `?status=` values and their API status; `not-activated` is every status but activated.
  static let statuses: [(String, Safemap_Account_V1_CredentialStatus)] = [
    ("", .unspecified), ("not-activated", .unspecified), ("awaiting", .awaitingHandOut),
    ("handed-out", .handedOut), ("activated", .activated), ("expired", .expired),
  ]

  func list(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let province = try site.province(request, session)
    let metadata = try await site.metadata(context)
    let status = request.uri.queryParameters["status"].map(String.init) ?? ""
    let chosen = Self.statuses.first { $0.0 == status }?.1 ?? .unspecified
    let role = session.account.role
    let isUnit = role == .districtOfficer || role == .zoneOfficer
    // A unit sees its own list at once; the province picks a unit from the summary.
    let unitKey = request.uri.queryParameters["unit"].map(String.init) ?? ""
    let unit = try Self.unit(unitKey)
    let summary = try await site.backend.credentials.summarizeFacilityCredentials(
      .with { $0.provinceCode = province },
      metadata: metadata
    )
    var page = Safemap_Account_V1_ListFacilityCredentialsResponse()
    if isUnit || unit != nil {
      page = try await site.backend.credentials.listFacilityCredentials(
        .with {
          $0.provinceCode = province
          if let unit { $0.unit = unit }
          $0.status = chosen
          $0.notActivated = status == "not-activated"
          $0.pageSize = 500
          $0.pageToken = request.uri.queryParameters["page"].map(String.init) ?? ""
        },
        metadata: metadata
      )
    }
    return site.templates.page(
      "credentials",
      CredentialsPage(
        chrome: Chrome(title: "Giao tài khoản cho cơ sở", session: session),
        province: province,
        units: summary.units.map { row in
          UnitRow(
            key: (row.unit.kind == .zone ? "zone:" : "district:") + row.unit.code,
            name: row.unitName,
            kind: row.unit.kind == .zone ? "Ban quản lý khu" : "Huyện",
            awaiting: VietnamNumber.text(row.awaitingHandOut),
            handedOut: VietnamNumber.text(row.handedOut),
            activated: VietnamNumber.text(row.activated),
            expired: VietnamNumber.text(row.expired)
          )
        },
        rows: page.credentials.map(Self.row),
        statuses: Self.statuses.map { value, choice in
          NominationPages.Option(
            value: value,
            label: value == "not-activated"
              ? "Chưa đăng nhập (cần đôn đốc)"
              : choice == .unspecified ? "Tất cả" : Vietnamese.credentialStatus(choice),
            selected: value == status
          )
        },
        unit: unitKey,
        mayHandOut: role != .ministryAdmin && role != .healthInspector,
        listed: isUnit || unit != nil,
        next: page.nextPageToken.isEmpty
          ? nil
          : "/credentials?status=\(status)&unit=\(unitKey)&page=\(page.nextPageToken)"
      )
    )
  }

  /// `district:694` or `zone:<id>`; nil for none.
  static func unit(_ key: String) throws -> Safemap_Reporting_V1_ReportingUnit? {
    guard !key.isEmpty else { return nil }
    let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
    guard parts.count == 2, ["district", "zone"].contains(parts[0]), parts[1].count <= 36 else {
      throw WebError.badRequest("Đơn vị không hợp lệ.")
    }
    return .with {
      $0.kind = parts[0] == "zone" ? .zone : .district
      $0.code = parts[1]
    }
  }

  static func row(_ credential: Safemap_Account_V1_FacilityCredential) -> Row {
    Row(
      id: credential.facilityID,
      name: credential.name,
      taxCode: credential.taxCode,
      district: credential.districtCode,
      username: credential.username,
      status: Vietnamese.credentialStatus(credential.status),
      handedOut: credential.hasHandOutTime ? VietnamTime.text(credential.handOutTime.date) : "",
      expires: credential.hasExpireTime ? VietnamTime.text(credential.expireTime.date) : "",
      activated: credential.hasActivateTime ? VietnamTime.text(credential.activateTime.date) : ""
    )
  }

  struct LettersPage {
    var chrome: Chrome
    var letters: [Letter]
    var signIn: String
  }

  struct Letter {
    var name: String
    var taxCode: String
    var address: String
    var username: String
    var password: String
    var expires: String
  }

  /// Hands out the ticked facilities: a CSV sheet, or a printable page of letters.
  func handOut(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let form = try await Form.read(request, context: context)
    let ids = form.fields["id"] ?? []
    guard !ids.isEmpty else { throw WebError.badRequest("Hãy chọn ít nhất một cơ sở.") }
    guard ids.count <= 1_000 else { throw WebError.badRequest("Tối đa 1.000 cơ sở mỗi lần.") }
    let method: Safemap_Account_V1_HandOutMethod = form["method"] == "LETTER" ? .letter : .sheet
    let handed = try await site.backend.credentials.handOutCredentials(
      .with {
        $0.provinceCode = session.account.provinceCode
        $0.facilityIds = ids
        $0.method = method
        $0.reissue = form["reissue"] == "1"
      },
      metadata: try await site.metadata(context)
    ).credentials
    if method == .letter {
      var response = site.templates.page(
        "letters",
        LettersPage(
          chrome: Chrome(title: "Thư giao tài khoản", session: session),
          letters: handed.map { entry in
            Letter(
              name: entry.credential.name,
              taxCode: entry.credential.taxCode,
              address: entry.credential.address,
              username: entry.credential.username,
              password: entry.oneTimePassword,
              expires: VietnamTime.text(entry.credential.expireTime.date)
            )
          },
          signIn: site.configuration.publicURL + "/login"
        )
      )
      response.headers[.cacheControl] = "no-store"
      return response
    }
    var body = Data(CSVDownload.byteOrderMark)
    body.append(
      try CSVDownload.record([
        "Cơ sở", "Mã số thuế", "Địa chỉ", "Tên đăng nhập", "Mật khẩu một lần", "Hết hạn",
      ])
    )
    for entry in handed {
      body.append(
        try CSVDownload.record([
          entry.credential.name, entry.credential.taxCode, entry.credential.address,
          entry.credential.username, entry.oneTimePassword,
          VietnamTime.text(entry.credential.expireTime.date),
        ])
      )
    }
    return CSVDownload.response(
      named: "safemap-tai-khoan-\(session.account.provinceCode)",
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
    )
  }
}
