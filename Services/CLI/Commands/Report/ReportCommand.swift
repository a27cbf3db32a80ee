import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SwiftProtobuf

struct Report: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Live reports: summaries (R1–R3, R6), lists (R4, R5), campaigns, trends.",
    subcommands: [
      ReportSummary.self, ReportNational.self, ReportList.self, ReportExport.self,
      ReportCampaign.self, ReportTrend.self, ReportLetter.self,
    ]
  )
}

/// `--as-of`: the instant a report describes.
struct AsOfOptions: ParsableArguments {
  @Option(
    name: .customLong("as-of"),
    help:
      "Report the state at this instant: 2021-08-20 (end of that day, UTC+7) or 2021-08-20T17:00:00+07:00. Default: now."
  )
  var asOf: String?

  func timestamp() throws -> Google_Protobuf_Timestamp? {
    try asOf.map { Instant.timestamp(try Instant.parse($0, option: "as-of")) }
  }
}

/// Options every report takes: where it prints and as of when.
struct ReportOptions: ParsableArguments {
  @Option(help: "table (aligned), csv, or json (every field of the answer).")
  var format: OutputFormat = .table

  @OptionGroup var asOf: AsOfOptions

  func asOfTimestamp() throws -> Google_Protobuf_Timestamp? {
    try asOf.timestamp()
  }

  func print(_ table: Table, message: some SwiftProtobuf.Message) throws {
    try format.print(table, message: message)
  }
}

struct ReportSummary: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "summary",
    abstract: "A province's summary: R1 (inside/outside zones), R2 (by district), R3 (by zone).",
    discussion: """
      Every row: issued = stopped + active; active = assessed + overdue + never; \
      assessed = safe + at risk + unsafe.

      Examples:
        safemap report summary --by district
        safemap report summary --province 74 --by zone-location --as-of 2021-08-20
        safemap report summary --by zone --format csv > r3.csv
      """
  )

  enum Grouping: String, ExpressibleByArgument, CaseIterable {
    case none, zoneLocation = "zone-location", district, zone

    var proto: Safemap_Reporting_V1_SummaryGrouping {
      switch self {
      case .none: .none
      case .zoneLocation: .zoneLocation
      case .district: .district
      case .zone: .zone
      }
    }
  }

  @OptionGroup var global: GlobalOptions
  @OptionGroup var report: ReportOptions
  @Option(help: "Province code (officials of one province may leave it out).")
  var province: String?
  @Option(help: "none, zone-location (R1), district (R2), zone (R3).")
  var by: Grouping = .zoneLocation

  func run() async throws {
    let context = try global.context()
    let asOf = try report.asOfTimestamp()
    let authorization = try await context.authorization()
    let request = Safemap_Reporting_V1_GetProvinceSummaryRequest.with {
      $0.provinceCode = province ?? ""
      $0.grouping = by.proto
      if let asOf { $0.asOfTime = asOf }
    }
    let response = try await context.reporting.call { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .getProvinceSummary(request, metadata: authorization)
    }
    if report.format == .table {
      print("Province \(response.provinceCode), as of \(Describe.instant(response.asOfTime))")
    }
    try report.print(Table.summary(response.rows, total: response.total), message: response)
  }
}

struct ReportNational: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "national",
    abstract: "R6: every province's summary and the national total (ministry only).",
    discussion: """
      Examples:
        safemap report national
        safemap report national --as-of 2021-09-01 --format csv > r6.csv
      """
  )

  @OptionGroup var global: GlobalOptions
  @OptionGroup var report: ReportOptions

  func run() async throws {
    let context = try global.context()
    let asOf = try report.asOfTimestamp()
    let authorization = try await context.authorization()
    let response = try await context.reporting.call { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client).getNationalSummary(
        .with { if let asOf { $0.asOfTime = asOf } },
        metadata: authorization
      )
    }
    if report.format == .table {
      print("Every province, as of \(Describe.instant(response.asOfTime))")
    }
    try report.print(Table.summary(response.rows, total: response.total), message: response)
  }
}

extension Table {
  /// The columns of docs/domain.md: reports, one row per group and the total last.
  static func summary(
    _ rows: [Safemap_Reporting_V1_SummaryRow],
    total: Safemap_Reporting_V1_SummaryRow
  ) -> Table {
    var table = Table(
      [.text("code"), .text("name")]
        + [
          "issued", "stopped", "active", "assessed", "safe", "at risk", "unsafe", "overdue",
          "never", "inspected", "safe→unsafe", "assessed %",
        ].map(Column.number)
    )
    for row in rows + [total] {
      table.append(
        [row.groupKey, row.groupName]
          + [
            row.issued, row.stopped, row.active, row.assessed, row.safe, row.atRisk, row.unsafe,
            row.overdue, row.neverAssessed, row.inspected, row.selfAssessedSafeInspectedUnsafe,
          ].map { String($0) }
          + [String(format: "%.1f", row.assessedRatePercent)]
      )
    }
    return table
  }
}
