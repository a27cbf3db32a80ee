import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SwiftProtobuf

struct CampaignCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "campaign",
    abstract:
      "Deadlines for a province's (or a district's) facilities; units report back on them.",
    subcommands: [
      CampaignCreate.self, CampaignList.self, CampaignUnits.self, CampaignSubmit.self,
      CampaignReview.self,
    ]
  )
}

struct CampaignCreate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create",
    abstract: "Open a campaign (province officers, in their own province).",
    discussion: """
      Assessments submitted from --start (default: now) until --deadline count.

      Examples:
        safemap campaign create --title "Đợt đánh giá tháng 9" --deadline 2021-09-15
        safemap campaign create --title "Huyện Bàu Bàng" --district 721 --deadline 2021-09-10 --kind workplace
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "What officials and facilities see.") var title: String
  @Option(help: "Longer explanation.") var description = ""
  @Option(help: "When submissions start to count: a date (its start, UTC+7) or an instant.")
  var start: String?
  @Option(help: "Last day (included) or instant.") var deadline: String
  @Option(help: "Only this district (code).") var district: String?
  @Option(
    name: .customLong("kind"),
    help:
      "Kinds every facility must submit (repeat); default: workplace, and dormitory where there is one."
  )
  var kinds: [Assess.Kind] = []
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Option(help: "Idempotency key: the same key again returns the first campaign.")
  var requestID = UUID().uuidString.lowercased()

  func run() async throws {
    let context = try global.context()
    let startTime = try start.map { try Instant.startOfDay($0, option: "start") } ?? Date()
    let deadlineTime = try Instant.parse(deadline, option: "deadline")
    let request = Safemap_Reporting_V1_CreateCampaignRequest.with {
      $0.requestID = requestID
      $0.campaign = .with {
        $0.provinceCode = province ?? ""
        $0.title = title
        $0.description_p = description
        $0.startTime = Instant.timestamp(startTime)
        $0.deadline = Instant.timestamp(deadlineTime)
        $0.kinds = kinds.map(\.proto)
        $0.districtCode = district ?? ""
      }
    }
    let authorization = try await context.authorization()
    let campaign = try await context.reporting.call { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .createCampaign(request, metadata: authorization).campaign
    }
    print("Campaign \(campaign.campaignID) opened: \(campaign.title)")
    print("progress: safemap report campaign \(campaign.campaignID)")
  }
}

struct CampaignList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "Campaigns of a province, open ones first (with --past, also closed ones).",
    discussion: """
      Examples:
        safemap campaign list
        safemap campaign list --province 74 --past --format csv
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "table, csv or json.") var format: OutputFormat = .table
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Flag(help: "Also campaigns whose deadline has passed.") var past = false

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let province = self.province ?? ""
    let past = self.past
    // Every page: a province has tens of campaigns, not thousands.
    let campaigns = try await context.reporting.call { client in
      let reporting = Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
      var all = Safemap_Reporting_V1_ListCampaignsResponse()
      var token = ""
      repeat {
        let page = try await reporting.listCampaigns(
          .with {
            $0.provinceCode = province
            $0.pageSize = 100
            $0.pageToken = token
            $0.includePast = past
          },
          metadata: authorization
        )
        all.campaigns += page.campaigns
        token = page.nextPageToken
      } while !token.isEmpty
      return all
    }
    var table = Table(
      [.text("id"), .text("title"), .text("district"), .text("start"), .text("deadline")]
    )
    for campaign in campaigns.campaigns {
      table.append([
        campaign.campaignID, campaign.title,
        campaign.districtCode.isEmpty ? "all" : campaign.districtCode,
        Describe.instant(campaign.startTime), Describe.instant(campaign.deadline),
      ])
    }
    try format.print(table, message: campaigns)
  }
}
