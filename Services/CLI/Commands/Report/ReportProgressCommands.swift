import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SwiftProtobuf

struct ReportCampaign: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "campaign",
    abstract: "A campaign's progress by district and by zone, with the total.",
    discussion: """
      Who has not finished: `safemap report list --campaign <id>` (or `report export`).

      Examples:
        safemap campaign list
        safemap report campaign 3f0c…
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "table, csv or json.") var format: OutputFormat = .table
  @Option(help: "Province code (officials of one province may leave it out).")
  var province: String?
  @Argument(help: "The campaign's id (`safemap campaign list`).") var campaign: String

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let request = Safemap_Reporting_V1_GetCampaignProgressRequest.with {
      $0.provinceCode = province ?? ""
      $0.campaignID = campaign
    }
    let response = try await context.reporting.call { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .getCampaignProgress(request, metadata: authorization)
    }
    func progressTable(_ rows: [Safemap_Reporting_V1_CampaignProgressRow], by: String?) -> Table {
      var table = Table(
        (by == nil ? [] : [.text("by")])
          + [
            .text("code"), .text("name"), .number("active"), .number("done"),
            .number("not done"), .number("done %"),
          ]
      )
      for row in rows {
        table.append(
          (by.map { [$0] } ?? [])
            + [
              row.groupKey, row.groupName, String(row.active), String(row.done),
              String(row.notDone), String(format: "%.1f", row.doneRatePercent),
            ]
        )
      }
      return table
    }
    guard format == .table else {
      var all = progressTable([], by: "")
      let parts = [(response.byDistrict, "district"), (response.byZone, "zone")]
      for (rows, by) in parts + [([response.total], "total")] {
        for row in progressTable(rows, by: by).rows { all.append(row) }
      }
      return try format.print(all, message: response)
    }
    let opened = response.campaign
    print(
      "\(opened.title): \(Describe.instant(opened.startTime)) → "
        + "\(Describe.instant(opened.deadline))"
    )
    print(progressTable(response.byDistrict + [response.total], by: nil).aligned())
    if !response.byZone.isEmpty {
      print("By zone:")
      print(progressTable(response.byZone, by: nil).aligned())
    }
  }
}

struct ReportTrend: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trend",
    abstract: "Facilities per level at the end of each day or ISO week, and submissions in it.",
    discussion: """
      At most 366 periods per call. The ministry gets the whole country unless it names a \
      province.

      Examples:
        safemap report trend --from 2021-08-01 --to 2021-09-30
        safemap report trend --from 2021-06-01 --to 2021-12-31 --weekly --district 718
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "table, csv or json.") var format: OutputFormat = .table
  @Option(help: "Province code (the ministry may leave it out: national).") var province: String?
  @Option(help: "Only this district (code).") var district: String?
  @Option(help: "Only this zone (id).") var zone: String?
  @Option(help: "First day (2021-08-01) or instant.") var from: String
  @Option(help: "Last day (2021-09-30, included) or instant.") var to: String
  @Flag(help: "ISO weeks (from Monday) instead of days.") var weekly = false

  func run() async throws {
    let context = try global.context()
    let start = try Instant.startOfDay(from, option: "from")
    let end = try Instant.parse(to, option: "to")
    let request = Safemap_Reporting_V1_GetTrendRequest.with {
      $0.provinceCode = province ?? ""
      $0.districtCode = district ?? ""
      $0.zoneID = zone ?? ""
      $0.interval = weekly ? .week : .day
      $0.startTime = Instant.timestamp(start)
      $0.endTime = Instant.timestamp(end)
    }
    let authorization = try await context.authorization()
    let response = try await context.reporting.call { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client).getTrend(
        request,
        metadata: authorization
      )
    }
    var table = Table(
      [.text(weekly ? "week of" : "day")]
        + ["safe", "at risk", "unsafe", "overdue", "not assessed", "submissions"].map(
          Table.Column.number
        )
    )
    for point in response.points {
      table.append(
        [Describe.day(point.periodStart)]
          + [
            point.safe, point.atRisk, point.unsafe, point.overdue, point.notAssessed,
            point.submissions,
          ].map { String($0) }
      )
    }
    try format.print(table, message: response)
  }
}
