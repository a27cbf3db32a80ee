import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapSheets
import SwiftProtobuf

/// `safemap nominations`: operating facilities without an account, nominated by districts and
/// zone boards, reviewed by the province, then issued (`safemap facilities issue
/// --approved-nominations`).
struct NominationsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nominations",
    abstract: "Nominate facilities without an account; the province reviews them.",
    subcommands: [
      NominationsAdd.self, NominationsList.self, NominationsReview.self, NominationsAnswer.self,
      DriveCommand.self,
    ]
  )
}

struct NominationsAdd: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add",
    abstract: "Nominate the facilities of a CSV file (district and zone-board officers).",
    discussion: """
      The file has the columns of `safemap facilities issue` (name, tax_code, district_code, \
      …). Each row is checked against the registry: a tax code already registered is refused \
      with the facility named, a similar name in the district is a warning. Rejected rows are \
      listed by line; the others are nominated. A one-row file nominates one facility.

      Examples:
        safemap nominations add chua-co-tai-khoan.csv --drive 7c2a…
      """
  )

  @OptionGroup var global: GlobalOptions
  @Argument(help: "The CSV file of facilities.") var file: String
  @Option(help: "The drive the rows answer (`safemap nominations drive list`).") var drive = ""
  @Option(help: "A comment kept with every row (at most 1,000 characters).") var comment = ""

  func run() async throws {
    let context = try global.context()
    guard let data = FileManager.default.contents(atPath: file),
      let text = String(data: data, encoding: .utf8)
    else { throw CLIFailure("cannot read \(file) as UTF-8 text") }
    let parsed: FacilityCSV
    do {
      parsed = try FacilityCSV.parse(text, limit: 1_000)
    } catch {
      throw CLIFailure(error.description)
    }
    guard !parsed.rows.isEmpty else {
      FacilitiesIssue.report(rejected: parsed.rejected)
      throw CLIFailure("\(file) holds no facility to nominate")
    }
    let request = Safemap_Account_V1_NominateFacilitiesRequest.with {
      $0.driveID = drive
      $0.rows = parsed.rows.map { row in
        .with {
          $0.rowNumber = Int32(row.line)
          $0.facility = row.facility
          $0.comment = comment
        }
      }
    }
    let authorization = try await context.authorization()
    let response = try await context.account.call { client in
      try await Safemap_Account_V1_NominationService.Client(wrapping: client)
        .nominateFacilities(request, metadata: authorization)
    }
    print(
      "\(response.nominated) nominated, \(response.alreadyNominated) already nominated, "
        + "\(Int(response.rejected) + parsed.rejected.count) rejected."
    )
    for result in response.results where !result.nomination.warnings.isEmpty {
      for warning in result.nomination.warnings {
        print("  line \(result.rowNumber): warning: \(warning)")
      }
    }
    let rejected = response.results.filter { $0.outcome == .rejected }.map { result in
      FacilityCSV.Rejected(
        line: Int(result.rowNumber),
        reason: result.violations.map { "\($0.field): \($0.description_p)" }
          .joined(separator: "; ")
      )
    }
    FacilitiesIssue.report(rejected: (parsed.rejected + rejected).sorted { $0.line < $1.line })
  }
}

struct NominationsList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "Nominations and how far each got: reviewed, issued, handed out, signed in.",
    discussion: """
      A unit's officer sees its own unit's; the province every unit's (--unit narrows it).

      Examples:
        safemap nominations list --state submitted
        safemap nominations list --drive 7c2a… --unit 698 --format csv
      """
  )

  enum State: String, ExpressibleByArgument, CaseIterable {
    case submitted, needsInformation = "needs-information", approved, rejected, issued

    var proto: Safemap_Account_V1_NominationState {
      switch self {
      case .submitted: .submitted
      case .needsInformation: .needsInformation
      case .approved: .approved
      case .rejected: .rejected
      case .issued: .issued
      }
    }
  }

  @OptionGroup var global: GlobalOptions
  @Option(help: "table, csv or json.") var format: OutputFormat = .table
  @Option(help: "Only this drive.") var drive = ""
  @Option(help: "Only this state.") var state: State?
  @Option(help: "Only this unit: a district code, or zone:<id>.") var unit: UnitArgument?
  @Option(help: "Province code (the ministry must name one).") var province: String?

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    var table = Table(
      [
        .text("id"), .text("unit"), .text("tax code"), .text("name"), .text("state"),
        .text("reason"), .text("username"), .text("credential"), .text("warnings"),
      ]
    )
    var all = Safemap_Account_V1_ListNominationsResponse()
    var token = ""
    repeat {
      let request = Safemap_Account_V1_ListNominationsRequest.with {
        $0.provinceCode = province ?? ""
        $0.driveID = drive
        $0.state = state?.proto ?? .unspecified
        if let unit { $0.unit = unit.unit }
        $0.pageSize = 1000
        $0.pageToken = token
      }
      let page = try await context.account.call { client in
        try await Safemap_Account_V1_NominationService.Client(wrapping: client)
          .listNominations(request, metadata: authorization)
      }
      for nomination in page.nominations {
        table.append([
          nomination.nominationID, Describe.unit(nomination.unit), nomination.facility.taxCode,
          nomination.facility.name, Describe.nominationState(nomination.state), nomination.reason,
          nomination.username, Describe.credentialStatus(nomination.credentialStatus),
          nomination.warnings.joined(separator: "; "),
        ])
      }
      all.nominations += page.nominations
      token = page.nextPageToken
    } while !token.isEmpty
    try format.print(table, message: all)
  }
}

struct NominationsReview: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "review",
    abstract: "Approve, reject or question nominations (province officers), all or none.",
    discussion: """
      Examples:
        safemap nominations review --approve 1b2c… 3d4e…
        safemap nominations review --reject 5f6a… --reason "Đã ngừng hoạt động"
        safemap nominations review --ask 7b8c… --reason "Ghi rõ số lao động"
      """
  )

  enum Action: String, EnumerableFlag {
    case approve, reject, ask

    var proto: Safemap_Account_V1_NominationReviewAction {
      switch self {
      case .approve: .approve
      case .reject: .reject
      case .ask: .askForInformation
      }
    }
  }

  @OptionGroup var global: GlobalOptions
  @Flag(help: "What to do.") var action: Action
  @Option(help: "Why, or the question (required to reject or ask).") var reason = ""
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Argument(help: "Nomination ids (at most 500).") var ids: [String]

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let request = Safemap_Account_V1_ReviewNominationsRequest.with {
      $0.provinceCode = province ?? ""
      $0.nominationIds = ids
      $0.action = action.proto
      $0.reason = reason
    }
    let reviewed = try await context.account.call { client in
      try await Safemap_Account_V1_NominationService.Client(wrapping: client)
        .reviewNominations(request, metadata: authorization).nominations
    }
    for nomination in reviewed {
      print(
        "\(nomination.facility.taxCode) \(nomination.facility.name): "
          + Describe.nominationState(nomination.state)
      )
    }
  }
}

struct NominationsAnswer: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "answer",
    abstract: "Answer the province's question on a nomination; it goes back for review.",
    discussion: """
      Examples:
        safemap nominations answer 7b8c… --comment "Còn hoạt động, 85 lao động"
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "The answer (required, at most 1,000 characters).") var comment: String
  @Argument(help: "The nomination's id.") var id: String

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let request = Safemap_Account_V1_UpdateNominationRequest.with {
      $0.nominationID = id
      $0.comment = comment
    }
    let nomination = try await context.account.call { client in
      try await Safemap_Account_V1_NominationService.Client(wrapping: client)
        .updateNomination(request, metadata: authorization).nomination
    }
    print("\(nomination.facility.name): \(Describe.nominationState(nomination.state))")
  }
}

struct DriveCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "drive",
    abstract: "Drives asking every unit for facilities without an account, by a deadline.",
    subcommands: [DriveCreate.self, DriveList.self, DriveRate.self, DriveRespond.self]
  )
}

struct DriveCreate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create",
    abstract: "Open a nomination drive (province officers).",
    discussion: """
      Examples:
        safemap nominations drive create --title "Rà soát cơ sở chưa có tài khoản" --deadline 2021-08-25
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "What units see.") var title: String
  @Option(help: "Longer explanation.") var note = ""
  @Option(help: "Last day (included) or instant.") var deadline: String
  @Option(help: "Idempotency key: the same key again returns the first drive.")
  var requestID = UUID().uuidString.lowercased()

  func run() async throws {
    let context = try global.context()
    let deadlineTime = try Instant.parse(deadline, option: "deadline")
    let request = Safemap_Account_V1_CreateNominationDriveRequest.with {
      $0.requestID = requestID
      $0.drive = .with {
        $0.title = title
        $0.note = note
        $0.deadline = Instant.timestamp(deadlineTime)
      }
    }
    let authorization = try await context.authorization()
    let drive = try await context.account.call { client in
      try await Safemap_Account_V1_NominationService.Client(wrapping: client)
        .createNominationDrive(request, metadata: authorization).drive
    }
    print("Drive \(drive.driveID) opened: \(drive.title)")
    print("answers: safemap nominations drive rate \(drive.driveID)")
  }
}

struct DriveList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "The province's nomination drives, newest first."
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "table, csv or json.") var format: OutputFormat = .table
  @Option(help: "Province code (the ministry must name one).") var province: String?

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let request = Safemap_Account_V1_ListNominationDrivesRequest.with {
      $0.provinceCode = province ?? ""
      $0.pageSize = 1000
    }
    let drives = try await context.account.call { client in
      try await Safemap_Account_V1_NominationService.Client(wrapping: client)
        .listNominationDrives(request, metadata: authorization)
    }
    var table = Table([.text("id"), .text("title"), .text("deadline")])
    for drive in drives.drives {
      table.append([drive.driveID, drive.title, Describe.instant(drive.deadline)])
    }
    try format.print(table, message: drives)
  }
}

struct DriveRate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rate",
    abstract: "Who has answered a drive: every unit, on time, late or missing, and the rate.",
    discussion: """
      Examples:
        safemap nominations drive rate 7c2a…
        safemap nominations drive rate 7c2a… --as-of 2021-08-25
      """
  )

  @OptionGroup var global: GlobalOptions
  @OptionGroup var options: ReportOptions
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Argument(help: "The drive's id.") var drive: String

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let asOf = try options.asOfTimestamp()
    let request = Safemap_Account_V1_GetNominationResponseRateRequest.with {
      $0.provinceCode = province ?? ""
      $0.driveID = drive
      if let asOf { $0.asOfTime = asOf }
    }
    let rate = try await context.account.call { client in
      try await Safemap_Account_V1_NominationService.Client(wrapping: client)
        .getNominationResponseRate(request, metadata: authorization)
    }
    var table = Table(
      [
        .text("unit"), .text("name"), .text("timeliness"), .text("answered"),
        .number("nominated"), .text("comment"),
      ]
    )
    for unit in rate.units {
      table.append([
        Describe.unit(unit.unit), unit.unitName, Describe.timeliness(unit.timeliness),
        unit.hasRespondTime ? Describe.instant(unit.respondTime) : "", String(unit.nominated),
        unit.comment,
      ])
    }
    if options.format == .table {
      print(
        "\(rate.drive.title) — deadline \(Describe.instant(rate.drive.deadline)): "
          + "\(rate.responded) of \(rate.expected) units answered "
          + String(format: "(%.1f %%)", rate.rate * 100)
          + "; on time \(rate.onTime), late \(rate.late), missing \(rate.missing)"
      )
    }
    try options.print(table, message: rate)
  }
}

struct DriveRespond: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "respond",
    abstract: "Tell a drive your unit has nothing (more) to nominate.",
    discussion: """
      Examples:
        safemap nominations drive respond 7c2a… --comment "Không còn cơ sở nào chưa có tài khoản"
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "Your unit's word (at most 1,000 characters).") var comment = ""
  @Argument(help: "The drive's id.") var drive: String

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let request = Safemap_Account_V1_RespondToNominationDriveRequest.with {
      $0.driveID = drive
      $0.comment = comment
    }
    let response = try await context.account.call { client in
      try await Safemap_Account_V1_NominationService.Client(wrapping: client)
        .respondToNominationDrive(request, metadata: authorization).response
    }
    print(
      "\(response.unitName): answered \(Describe.instant(response.respondTime)), "
        + "\(Describe.timeliness(response.timeliness)); \(response.nominated) nominated"
    )
  }
}
