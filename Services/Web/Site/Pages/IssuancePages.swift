import AsyncAlgorithms
import Foundation
import GRPCCore
import Hummingbird
import NIOCore
import SafeMapAPI
import SafeMapCore
import SafeMapSheets
import SwiftProtobuf

/// Bulk issuance on the web: a province officer uploads the facilities' CSV (`/issue`, the
/// page's script posts the file), watches the progress as account-service answers row by row,
/// and downloads the credential sheet once (`/issue/sheets/:token`): the one-time passwords
/// exist nowhere else, and the sheet is gone from the server after that download.
struct IssuancePages {
  let site: Site
  let sheets: CredentialSheets

  /// Rows one upload may hold (account-service's own batch limit is the same by default).
  static let maximumRows = 50_000

  func register(_ routes: Routes) {
    routes.officials.get("/issue") { _, context in try form(context) }
    routes.officials.post("/issue") { request, context in try await issue(request, context) }
    routes.officials.get("/issue/sheets/:token") { _, context in try await download(context) }
  }

  struct IssuePage {
    var chrome: Chrome
    var columns: String
    var required: String
    var maximumRows: Int
  }

  func form(_ context: WebContext) throws -> Response {
    let session = try context.signedIn
    return site.templates.page(
      "issue",
      IssuePage(
        chrome: Chrome(title: "Cấp tài khoản hàng loạt", session: session),
        columns: (FacilityCSV.required + FacilityCSV.optional).joined(separator: ", "),
        required: FacilityCSV.required.joined(separator: ", "),
        maximumRows: Self.maximumRows
      )
    )
  }

  /// One line of JSON per event: `{"done", "total"}` as rows are answered, then
  /// `{"summary": {issued, already, rejected}, "sheet", "problems": [{line, reason}]}`.
  struct Event: Encodable {
    var done: Int?
    var total: Int?
    var summary: Summary?
    var sheet: String?
    /// Where the units hand the new accounts out, when the issuer got no sheet.
    var handOut: String?
    var problems: [Problem]?
    var error: String?

    struct Summary: Encodable {
      var batch: String
      var issued: Int
      var already: Int
      var rejected: Int
    }

    struct Problem: Encodable {
      var line: Int
      var reason: String
    }

    var line: ByteBuffer {
      var data = (try? JSONEncoder().encode(self)) ?? Data("{}".utf8)
      data.append(0x0A)
      return ByteBuffer(bytes: data)
    }
  }

  func issue(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let body: ByteBuffer
    do {
      body = try await request.body.collect(upTo: context.maxUploadSize)
    } catch {
      throw WebError(status: .contentTooLarge, message: "Tệp quá lớn.")
    }
    guard let text = body.getString(at: body.readerIndex, length: body.readableBytes) else {
      throw WebError.badRequest("Tệp phải là văn bản UTF-8: lưu dưới dạng \"CSV UTF-8\".")
    }
    let parsed: FacilityCSV
    do {
      parsed = try FacilityCSV.parse(text, limit: Self.maximumRows)
    } catch {
      throw WebError.badRequest("Tệp CSV không đọc được: \(error.description)")
    }
    guard !parsed.rows.isEmpty else {
      throw WebError.badRequest("Tệp không có cơ sở nào để cấp tài khoản.")
    }
    let province = session.account.provinceCode
    let officer = session.account.accountID
    // By default each district hands out its own facilities' passwords (`/credentials`); the
    // province-wide sheet is only for an officer who asks for it.
    let issuerSheet = request.uri.queryParameters["sheet"] == "issuer"
    let room = issuerSheet ? await sheets.hasRoom(for: officer) : true
    guard room else {
      throw WebError(
        status: .serviceUnavailable,
        message: "Đang có quá nhiều bảng mật khẩu chờ tải về. Hãy thử lại sau ít phút.",
        retryAfter: 60
      )
    }
    let note = String((request.uri.queryParameters["note"].map(String.init) ?? "").prefix(500))
    let requestID = FacilityCSV.batchRequestID(file: Data(text.utf8), province: province)
    let metadata = try await site.metadata(context)
    let facilities = site.backend.facilities
    let sheets = sheets
    let rows = parsed.rows
    let names = parsed.facilitiesByLine
    let events = AsyncThrowingChannel<ByteBuffer, any Error>()
    let response = ResponseBody { writer in
      let call = Task {
        do {
          let (summary, sheet, problems) = try await facilities.issueFacilityAccounts(
            metadata: metadata
          ) { writer in
            try await writer.write(
              contentsOf: parsed.issuanceRequests(
                options: .with {
                  $0.provinceCode = province
                  $0.requestID = requestID
                  $0.note = note
                  $0.credentialDelivery = issuerSheet ? .issuerSheet : .handOut
                }
              )
            )
          } onResponse: { response in
            var sheet = [
              ["Dòng", "Cơ sở", "Mã số thuế", "Tên đăng nhập", "Mật khẩu một lần", "Hết hạn"]
            ]
            var problems: [Event.Problem] = []
            var summary = Event.Summary(batch: "", issued: 0, already: 0, rejected: 0)
            var done = 0
            for try await message in response.messages {
              switch message.item {
              case .result(let result):
                done += 1
                let line = Int(result.rowNumber)
                switch result.outcome {
                case .issued:
                  summary.issued += 1
                  let facility = names[line]
                  sheet.append([
                    String(line), facility?.name ?? "", facility?.taxCode ?? "", result.username,
                    result.initialPassword,
                    VietnamTime.text(result.initialPasswordExpireTime.date),
                  ])
                case .alreadyIssued:
                  summary.already += 1
                case .rejected:
                  summary.rejected += 1
                  problems.append(.init(line: line, reason: result.reason))
                default: break
                }
                // A line per hundredth of the file (and the last): progress, not a flood.
                if done == rows.count || done % max(1, rows.count / 100) == 0 {
                  await events.send(Event(done: done, total: rows.count).line)
                }
              case .summary(let batch):
                summary.batch = batch.batchID
              case nil: break
              }
            }
            return (summary, sheet, problems)
          }
          let token =
            issuerSheet && summary.issued > 0 ? await sheets.keep(sheet, officer: officer) : nil
          let rejectedHere = parsed.rejected.map { Event.Problem(line: $0.line, reason: $0.reason) }
          var final = Event()
          final.summary = summary
          final.summary?.rejected += rejectedHere.count
          final.sheet = token.map { "/issue/sheets/\($0)" }
          final.handOut = !issuerSheet && summary.issued > 0 ? "/credentials" : nil
          final.problems = (rejectedHere + problems).sorted { $0.line < $1.line }
          await events.send(final.line)
          events.finish()
        } catch let error as RPCError {
          var failed = Event()
          failed.error = WebError(error).message
          await events.send(failed.line)
          events.finish()
        } catch {
          events.fail(error)
        }
      }
      defer { call.cancel() }
      for try await line in events {
        try await writer.write(line)
      }
      try await writer.finish(nil)
    }
    return Response(
      status: .ok,
      headers: [.contentType: "application/x-ndjson; charset=utf-8", .cacheControl: "no-store"],
      body: response
    )
  }

  func download(_ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let token = try context.parameters.require("token")
    guard let sheet = await sheets.take(token, officer: session.account.accountID) else {
      throw WebError.notFound(
        "Bảng mật khẩu này đã được tải về hoặc đã hết hạn: mỗi bảng chỉ tải được một lần."
      )
    }
    var data = Data(CSVDownload.byteOrderMark)
    for row in sheet { data += try CSVDownload.record(row) }
    return CSVDownload.response(
      named: "mat-khau-mot-lan",
      body: .init(byteBuffer: ByteBuffer(bytes: data))
    )
  }
}

/// Credential sheets waiting for their one download, by random token, held per officer
/// (account) and given only to that officer. Bounded without ever dropping one officer's sheet
/// for another's: an officer keeps at most `perOfficer` sheets (a fourth pushes out that
/// officer's own oldest), at most `officers` officers hold sheets at once, and when that table
/// is full a new officer's upload is refused before anything is issued (``hasRoom(for:)``);
/// each sheet lives `lifetime` (an expired one is gone: its accounts can be reset from the
/// facility list).
actor CredentialSheets {
  private struct Sheet {
    var token: String
    var rows: [[String]]
    var created: ContinuousClock.Instant
  }

  private var byOfficer: [String: [Sheet]] = [:]
  let officers: Int
  let perOfficer: Int
  let lifetime: Duration

  init(officers: Int = 100, perOfficer: Int = 3, lifetime: Duration = .seconds(15 * 60)) {
    self.officers = officers
    self.perOfficer = perOfficer
    self.lifetime = lifetime
  }

  /// Whether a sheet of `officer`'s next issuance can be kept: checked before issuing, so a
  /// full table refuses the upload rather than losing the passwords it would create.
  func hasRoom(for officer: String) -> Bool {
    sweep()
    return byOfficer[officer] != nil || byOfficer.count < officers
  }

  func keep(_ rows: [[String]], officer: String) -> String {
    sweep()
    var sheets = byOfficer[officer] ?? []
    if sheets.count >= perOfficer { sheets.removeFirst(sheets.count - perOfficer + 1) }
    let token = Secret.randomToken()
    sheets.append(Sheet(token: token, rows: rows, created: .now))
    byOfficer[officer] = sheets
    return token
  }

  func take(_ token: String, officer: String) -> [[String]]? {
    sweep()
    guard var sheets = byOfficer[officer],
      let index = sheets.firstIndex(where: { $0.token == token })
    else { return nil }
    let sheet = sheets.remove(at: index)
    byOfficer[officer] = sheets.isEmpty ? nil : sheets
    return sheet.rows
  }

  private func sweep() {
    let now = ContinuousClock.now
    byOfficer = byOfficer.compactMapValues { sheets in
      let live = sheets.filter { now - $0.created < lifetime }
      return live.isEmpty ? nil : live
    }
  }
}
