import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SwiftProtobuf

/// Which facilities a list or an export covers (`FacilityStatusFilter`).
struct FilterOptions: ParsableArguments {
  enum Level: String, ExpressibleByArgument, CaseIterable {
    case safe, atRisk = "at-risk", unsafe, notAssessed = "not-assessed", overdue

    var proto: Safemap_Common_V1_MapLevel {
      switch self {
      case .safe: .safe
      case .atRisk: .atRisk
      case .unsafe: .unsafe
      case .notAssessed: .notAssessed
      case .overdue: .overdue
      }
    }
  }

  @Option(help: "Province code (officials of one province may leave it out).")
  var province: String?
  @Option(
    name: .customLong("level"),
    help: "Only these levels (repeat): safe, at-risk, unsafe, not-assessed, overdue."
  )
  var levels: [Level] = []
  @Flag(help: "R4: not assessed or overdue.") var r4 = false
  @Flag(help: "R5: at risk or unsafe.") var r5 = false
  @Option(help: "Only this district (code).") var district: String?
  @Option(help: "Only this zone (id).") var zone: String?
  @Flag(help: "Only facilities inside industrial zones (KCN, KKT).") var inside = false
  @Flag(help: "Only facilities outside industrial zones.") var outside = false
  @Flag(help: "Only facilities that assessed themselves safe but an inspection found unsafe.")
  var mismatch = false
  @Option(help: "Only facilities that have not finished this campaign (id).") var campaign: String?

  func validate() throws {
    if inside && outside { throw ValidationError("--inside and --outside exclude each other") }
    if r4 && r5 { throw ValidationError("--r4 and --r5 exclude each other") }
  }

  var filter: Safemap_Reporting_V1_FacilityStatusFilter {
    .with {
      var levels = self.levels.map(\.proto)
      if r4 { levels += [.notAssessed, .overdue] }
      if r5 { levels += [.atRisk, .unsafe] }
      $0.mapLevels = levels
      $0.districtCode = district ?? ""
      $0.zoneID = zone ?? ""
      if inside { $0.zoneLocation = .insideIndustrialZone }
      if outside { $0.zoneLocation = .outsideIndustrialZone }
      $0.onlyInspectionMismatch = mismatch
      $0.campaignID = campaign ?? ""
    }
  }
}

extension Table {
  /// R4's columns, then R5's.
  static func facilityStatuses() -> Table {
    Table(
      [
        .text("name"), .text("tax code"), .text("address"), .text("district"), .text("zone"),
        .text("phone"), .text("username"), .text("issued"), .text("last assessed"),
        .text("level"), .number("index %"), .text("kind"), .text("top criteria"),
      ]
    )
  }

  mutating func append(_ row: Safemap_Reporting_V1_FacilityStatusRow) {
    append([
      row.name, row.taxCode, row.address, row.districtName, row.zoneName, row.contactPhone,
      row.username,
      row.hasAccountIssueTime ? Describe.day(row.accountIssueTime) : "",
      row.hasLastAssessmentTime ? Describe.day(row.lastAssessmentTime) : "",
      Describe.level(row.mapLevel),
      row.hasLastAssessmentTime ? String(format: "%.1f", row.indexPercent) : "",
      Describe.kind(row.kind),
      row.topCriteria.map { "\($0.criterionCode) \($0.points)" }.joined(separator: ", "),
    ])
  }
}

struct ReportList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "One page of facilities and their status (R4, R5, or any filter).",
    discussion: """
      Examples:
        safemap report list --r4 --district 718
        safemap report list --r5 --page-size 100 --page-token <token from the previous page>
        safemap report list --campaign <id>          # who has not finished the campaign
      """
  )

  @OptionGroup var global: GlobalOptions
  @OptionGroup var report: ReportOptions
  @OptionGroup var filters: FilterOptions
  @OptionGroup var page: PageOptions

  func run() async throws {
    let context = try global.context()
    let asOf = try report.asOfTimestamp()
    let request = Safemap_Reporting_V1_ListFacilityStatusesRequest.with {
      $0.provinceCode = filters.province ?? ""
      $0.filter = filters.filter
      $0.pageSize = Int32(page.pageSize)
      $0.pageToken = page.pageToken ?? ""
      if let asOf { $0.asOfTime = asOf }
    }
    let authorization = try await context.authorization()
    let response = try await context.reporting.call { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .listFacilityStatuses(request, metadata: authorization)
    }
    var table = Table.facilityStatuses()
    for row in response.rows { table.append(row) }
    try report.print(table, message: response)
    page.footer(
      shown: response.rows.count,
      total: response.totalSize,
      noun: "facilities",
      next: response.nextPageToken,
      format: report.format
    )
  }
}

struct ReportExport: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Every facility of a list, streamed to a CSV file (any size).",
    discussion: """
      A progress bar shows on a terminal; the file is written as rows arrive.

      Examples:
        safemap report export --r4 --output r4.csv
        safemap report export --campaign <id> --district 718 --output not-done.csv
      """
  )

  @OptionGroup var global: GlobalOptions
  @OptionGroup var filters: FilterOptions
  @Option(help: "The CSV file to write (replaced if it exists).") var output: String
  @OptionGroup var asOf: AsOfOptions
  @Flag(help: "Start the file with a byte-order mark, so Excel reads it as UTF-8.")
  var excel = false

  func run() async throws {
    let context = try global.context()
    let asOf = try self.asOf.timestamp()
    let filter = filters.filter
    let province = filters.province ?? ""
    let authorization = try await context.authorization()
    // The total first, for the progress bar.
    let total = try await context.reporting.call { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .listFacilityStatuses(
          .with {
            $0.provinceCode = province
            $0.filter = filter
            $0.pageSize = 1
            if let asOf { $0.asOfTime = asOf }
          },
          metadata: authorization
        ).totalSize
    }
    let file = try CSVFile(path: output, byteOrderMark: excel)
    try file.write(Table.facilityStatuses().columns.map(\.title))
    let progress = Progress(total: Int(total), label: "rows")
    let written = try await context.reporting.call { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .exportFacilityStatuses(
          .with {
            $0.provinceCode = province
            $0.filter = filter
            if let asOf { $0.asOfTime = asOf }
          },
          metadata: authorization
        ) { response in
          var count = 0
          for try await message in response.messages {
            var row = Table.facilityStatuses()
            row.append(message.row)
            try file.write(row.rows[0])
            count += 1
            progress.update(count)
          }
          return count
        }
    }
    try file.close()
    progress.finish(written)
    print("\(written) facilities written to \(output)")
  }
}
