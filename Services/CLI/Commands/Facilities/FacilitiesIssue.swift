import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapSheets
import SwiftProtobuf

struct FacilitiesIssue: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "issue",
    abstract: "Issue accounts to the facilities of a CSV file, in one batch.",
    discussion: """
      The first line names the columns: name, tax_code, district_code (required), address, \
      zone_id, sector, worker_count, workshop_area_m2, has_dormitory (yes/no), \
      dormitory_residents, contact_phone, contact_email, latitude, longitude.

      By default nobody gets the one-time passwords here: each district (or zone board) hands \
      out its own facilities' credentials (`safemap credentials`). With --issuer-sheet, each \
      new account's one-time password is written to --credentials instead, a CSV only you can \
      read (a province-wide sheet: hand it out, then delete it). Rejected rows are listed with \
      their line numbers; the rest of the batch goes on. Running the same file again issues \
      nothing twice. With --approved-nominations, the province's approved nominations are \
      issued instead of a file.

      Examples:
        safemap facilities issue binh-duong.csv
        safemap facilities issue binh-duong.csv --issuer-sheet --credentials credentials.csv
        safemap facilities issue --approved-nominations --note "bổ sung 20/8/2021"
      """
  )

  @OptionGroup var global: GlobalOptions
  @Argument(help: "The CSV file of facilities.") var file: String?
  @Flag(help: "Issue the province's approved nominations instead of a file.")
  var approvedNominations = false
  @Option(help: "With --approved-nominations: only those of this drive.") var drive: String?
  @Flag(help: "Return the one-time passwords to you rather than to the districts.")
  var issuerSheet = false
  @Option(
    help: "With --issuer-sheet: where to write the one-time passwords (readable only by you)."
  )
  var credentials: String?
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Option(help: "A note kept with the batch.") var note = ""
  @Option(help: "Rows one batch may hold (the service's SAFEMAP_ISSUANCE_MAX_ROWS).")
  var maxRows = 50_000

  func validate() throws {
    guard (file == nil) == approvedNominations else {
      throw ValidationError("give a CSV file or --approved-nominations, not both")
    }
    guard issuerSheet == (credentials != nil) else {
      throw ValidationError("--issuer-sheet and --credentials go together")
    }
    guard drive == nil || approvedNominations else {
      throw ValidationError("--drive needs --approved-nominations")
    }
  }

  func run() async throws {
    let context = try global.context()
    let parsed: FacilityCSV
    let requestID: String
    if let file {
      (parsed, requestID) = try read(file)
    } else {
      parsed = FacilityCSV()
      requestID = UUID().uuidString
    }
    let sheet = try credentials.map { try CSVFile(path: $0, private: true) }
    try sheet?.write(["line", "facility", "tax code", "username", "one-time password", "expires"])
    let options = Safemap_Account_V1_IssuanceBatchOptions.with {
      $0.provinceCode = province ?? ""
      $0.requestID = requestID
      $0.note = note
      $0.credentialDelivery = issuerSheet ? .issuerSheet : .handOut
      $0.approvedNominations = approvedNominations
      $0.nominationDriveID = drive ?? ""
    }
    let rows = parsed.rows
    let names = parsed.facilitiesByLine
    let progress = Progress(total: rows.count, label: "facilities")
    let authorization = try await context.authorization()
    let outcome = try await context.account.call { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client).issueFacilityAccounts(
        metadata: authorization
      ) { writer in
        try await writer.write(contentsOf: parsed.issuanceRequests(options: options))
      } onResponse: { response in
        var outcome = Outcome()
        for try await message in response.messages {
          switch message.item {
          case .result(let result):
            outcome.answered += 1
            progress.update(outcome.answered)
            let line = Int(result.rowNumber)
            switch result.outcome {
            case .alreadyIssued:
              outcome.alreadyIssued += 1
            case .issued:
              outcome.issued += 1
              let facility = names[line]
              try sheet?.write([
                String(line), facility?.name ?? "", facility?.taxCode ?? "", result.username,
                result.initialPassword, Describe.instant(result.initialPasswordExpireTime),
              ])
            case .rejected:
              outcome.rejected.append(.init(line: line, reason: result.reason))
            default: break
            }
          case .summary(let summary):
            outcome.summary = summary
          case nil: break
          }
        }
        return outcome
      }
    }
    try sheet?.close()
    progress.finish(outcome.answered)
    // This run's outcomes: the batch's own counts add up every run of the same file.
    print(
      "Batch \(outcome.summary.batchID): \(outcome.issued) issued, "
        + "\(outcome.alreadyIssued) already had an account, "
        + "\(outcome.rejected.count + parsed.rejected.count) rejected."
    )
    if let credentials, outcome.issued > 0 {
      print("One-time passwords: \(credentials) (readable only by you; delete it once handed out).")
    } else if let credentials {
      try? FileManager.default.removeItem(atPath: credentials)
    } else if outcome.issued > 0 {
      print(
        "The \(outcome.issued) new accounts await hand-out: each district or zone board gets its "
          + "own (`safemap credentials list --status awaiting`)."
      )
    }
    Self.report(rejected: (parsed.rejected + outcome.rejected).sorted { $0.line < $1.line })
  }

  /// The file's rows and its batch's idempotency key.
  private func read(_ file: String) throws -> (FacilityCSV, String) {
    guard let data = FileManager.default.contents(atPath: file) else {
      throw CLIFailure("cannot read \(file)")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw CLIFailure("\(file) is not UTF-8 text: save it as \"CSV UTF-8\"")
    }
    let parsed: FacilityCSV
    do {
      parsed = try FacilityCSV.parse(text, limit: maxRows)
    } catch {
      throw CLIFailure(error.description)
    }
    guard !parsed.rows.isEmpty else {
      Self.report(rejected: parsed.rejected)
      throw CLIFailure("\(file) holds no facility to issue")
    }
    // The same file for the same province is the same batch: sending it again (after a
    // failure half-way) returns what was issued instead of issuing twice.
    return (parsed, FacilityCSV.batchRequestID(file: data, province: province ?? ""))
  }

  /// What came back for the rows.
  struct Outcome: Sendable {
    var answered = 0
    var issued = 0
    var alreadyIssued = 0
    var rejected: [FacilityCSV.Rejected] = []
    var summary = Safemap_Account_V1_IssuanceBatch()
  }

  static func report(rejected: [FacilityCSV.Rejected]) {
    guard !rejected.isEmpty else { return }
    print("Rejected rows (fix them and run the same command again):")
    for row in rejected { print("  line \(row.line): \(row.reason)") }
  }
}
