import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapClient
import SwiftProtobuf

/// `--unit 694` (a district) or `--unit zone:<id>`.
struct UnitArgument: ExpressibleByArgument {
  var unit: Safemap_Reporting_V1_ReportingUnit

  init?(argument: String) {
    let zonePrefix = "zone:"
    unit =
      argument.hasPrefix(zonePrefix)
      ? .with {
        $0.kind = .zone
        $0.code = String(argument.dropFirst(zonePrefix.count))
      }
      : .with {
        $0.kind = .district
        $0.code = argument
      }
  }
}

struct CampaignUnits: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "units",
    abstract: "Who has reported: every unit's state and timeliness, and the reporting rate.",
    discussion: """
      Units with no active facility are not expected and stay out of the rate. With --as-of, \
      the answer as it stood then.

      Examples:
        safemap campaign units 3f0c…
        safemap campaign units 3f0c… --as-of 2021-09-20 --format csv
      """
  )

  @OptionGroup var global: GlobalOptions
  @OptionGroup var options: ReportOptions
  @Option(help: "Province code (officials of one province may leave it out).")
  var province: String?
  @Argument(help: "The campaign's id (`safemap campaign list`).") var campaign: String

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let asOf = try options.asOfTimestamp()
    let request = Safemap_Reporting_V1_GetReportingRateRequest.with {
      $0.provinceCode = province ?? ""
      $0.campaignID = campaign
      if let asOf { $0.asOfTime = asOf }
    }
    let rate = try await context.reporting.call { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .getReportingRate(request, metadata: authorization)
    }
    var table = Table.unitStatuses()
    for status in rate.units { table.append(status) }
    if options.format == .table {
      print(
        "\(rate.campaign.title) — deadline \(Describe.instant(rate.campaign.deadline)): "
          + "\(rate.submitted) of \(rate.expected) units reported "
          + String(format: "(%.1f %%)", rate.ratePercent)
          + "; on time \(rate.onTime), late \(rate.late), missing \(rate.missing), "
          + "accepted \(rate.accepted)"
      )
    }
    try options.print(table, message: rate)
  }
}

struct CampaignSubmit: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "submit",
    abstract: "Submit your unit's figures for a campaign (district and zone officers).",
    discussion: """
      SafeMap freezes the unit's figures and lists as they are now; the province accepts or \
      returns them.

      Examples:
        safemap campaign submit 3f0c… --comment "Đã rà soát, đôn đốc 12 cơ sở"
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "What the province reads beside the figures (at most 1,000 characters).")
  var comment = ""
  @Argument(help: "The campaign's id.") var campaign: String

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let request = Safemap_Reporting_V1_SubmitUnitReportRequest.with {
      $0.campaignID = campaign
      $0.comment = comment
    }
    let status = try await context.reporting.call { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .submitUnitReport(request, metadata: authorization).status
    }
    print(
      "\(status.unit.name): submitted \(Describe.instant(status.submitTime)), "
        + "\(Describe.timeliness(status.timeliness)); content hash \(status.contentHash)"
    )
  }
}

struct CampaignReview: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "review",
    abstract: "Accept, return or reopen units' reports (province officers), all or none.",
    discussion: """
      Examples:
        safemap campaign review 3f0c… --accept --unit 694 --unit 698
        safemap campaign review 3f0c… --return --unit 698 --reason "Thiếu danh sách kèm theo"
        safemap campaign review 3f0c… --reopen --unit zone:5b1e… --reason "Số liệu sai"
      """
  )

  enum Action: String, EnumerableFlag {
    case accept, `return`, reopen

    var proto: Safemap_Reporting_V1_ReviewAction {
      switch self {
      case .accept: .accept
      case .return: .return
      case .reopen: .reopen
      }
    }
  }

  @OptionGroup var global: GlobalOptions
  @Flag(help: "What to do.") var action: Action
  @Option(help: "A district code, or zone:<id> (repeat, at most 500).") var unit: [UnitArgument]
  @Option(help: "Why (required to return or reopen).") var reason = ""
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Argument(help: "The campaign's id.") var campaign: String

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let request = Safemap_Reporting_V1_ReviewUnitReportsRequest.with {
      $0.provinceCode = province ?? ""
      $0.campaignID = campaign
      $0.units = unit.map(\.unit)
      $0.action = action.proto
      $0.reason = reason
    }
    let statuses = try await context.reporting.call { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .reviewUnitReports(request, metadata: authorization).statuses
    }
    var table = Table.unitStatuses()
    for status in statuses { table.append(status) }
    print(table.aligned())
  }
}

struct ReportLetter: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "letter",
    abstract: "The department's draft report on a campaign to the People's Committee.",
    discussion: """
      Each district's figures come from its accepted report, or are live where it has none \
      (the draft says which). With --attachments, the two lists go beside it as CSV: \
      phu-luc-1.csv (not assessed or overdue) and phu-luc-2.csv (at risk or unsafe), each \
      district's rows from the same source as its figures.

      Examples:
        safemap report letter 3f0c…
        safemap report letter 3f0c… --attachments ./cong-van --excel
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Option(help: "A folder to write the two attached lists into.") var attachments: String?
  @Flag(help: "Start the CSV files with a byte-order mark, so Excel reads them as UTF-8.")
  var excel = false
  @Argument(help: "The campaign's id.") var campaign: String

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let request = Safemap_Reporting_V1_GetCampaignLetterRequest.with {
      $0.provinceCode = province ?? ""
      $0.campaignID = campaign
    }
    let letter = try await context.reporting.call { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .getCampaignLetter(request, metadata: authorization)
    }
    print("SỞ CÔNG THƯƠNG TỈNH \(letter.provinceName.uppercased())")
    print("V/v báo cáo kết quả: \(letter.campaign.title)\n")
    for paragraph in letter.paragraphs { print(paragraph + "\n") }
    guard let attachments else { return }
    try FileManager.default.createDirectory(
      atPath: attachments,
      withIntermediateDirectories: true
    )
    for (list, name) in [
      (Safemap_Reporting_V1_FrozenList.notAssessed, "phu-luc-1.csv"),
      (.atRisk, "phu-luc-2.csv"),
    ] {
      let path = (attachments as NSString).appendingPathComponent(name)
      let written = try await LetterAttachment(
        letter: letter,
        list: list,
        authorization: authorization
      ).write(to: path, excel: excel, context: context)
      print("\(written) facilities written to \(path)")
    }
  }
}

/// One list attached to a letter, written as CSV (``LetterAnnex`` reads it).
struct LetterAttachment {
  let letter: Safemap_Reporting_V1_GetCampaignLetterResponse
  let list: Safemap_Reporting_V1_FrozenList
  let authorization: Metadata

  func write(to path: String, excel: Bool, context: CLIContext) async throws -> Int {
    let file = try CSVFile(path: path, byteOrderMark: excel)
    try file.write(Table.facilityStatuses().columns.map(\.title))
    let letter = letter
    let list = list
    let authorization = authorization
    let written = try await context.reporting.call { client in
      try await LetterAnnex.rows(
        of: letter,
        list: list,
        reporting: Safemap_Reporting_V1_ReportingService.Client(wrapping: client),
        metadata: authorization
      ) { row in
        var table = Table.facilityStatuses()
        table.append(row)
        try file.write(table.rows[0])
      }
    }
    try file.close()
    return written
  }
}

extension Table {
  static func unitStatuses() -> Table {
    Table(
      [
        .text("unit"), .text("code"), .text("name"), .number("active"), .text("state"),
        .text("timeliness"), .text("submitted"), .text("comment"), .text("reason"),
      ]
    )
  }

  mutating func append(_ status: Safemap_Reporting_V1_UnitReportStatus) {
    append([
      status.unit.kind == .zone ? "zone" : "district", status.unit.code, status.unit.name,
      String(status.activeFacilities), Describe.unitState(status.state),
      Describe.timeliness(status.timeliness),
      status.hasSubmitTime ? Describe.instant(status.submitTime) : "", status.comment,
      status.reason,
    ])
  }
}
