public import GRPCCore
public import SafeMapAPI
import SwiftProtobuf

/// The two lists a campaign letter attaches (annex 1: not assessed or overdue; annex 2: at
/// risk or unsafe), district by district from the same source as the letter's figures: the
/// rows frozen in the district's accepted report, or the live rows where its figures are live.
/// The CLI writes them to files and web-service streams them; both read them here.
public enum LetterAnnex {
  /// Calls `each` with every row of `list` in the letter's order and returns how many.
  public static func rows<Transport: ClientTransport>(
    of letter: Safemap_Reporting_V1_GetCampaignLetterResponse,
    list: Safemap_Reporting_V1_FrozenList,
    reporting: Safemap_Reporting_V1_ReportingService.Client<Transport>,
    metadata: Metadata,
    _ each: @escaping @Sendable (Safemap_Reporting_V1_FacilityStatusRow) async throws -> Void
  ) async throws -> Int {
    let levels: [Safemap_Common_V1_MapLevel] =
      list == .notAssessed ? [.notAssessed, .overdue] : [.atRisk, .unsafe]
    var count = 0
    for source in letter.sources {
      if source.fromSnapshot {
        var token = ""
        repeat {
          let page = try await reporting.listUnitReportFacilities(
            .with {
              $0.provinceCode = letter.campaign.provinceCode
              $0.campaignID = letter.campaign.campaignID
              $0.submissionID = source.submissionID
              $0.list = list
              $0.pageSize = 1_000
              $0.pageToken = token
            },
            metadata: metadata
          )
          for row in page.rows { try await each(row) }
          count += page.rows.count
          token = page.nextPageToken
        } while !token.isEmpty
      } else {
        count += try await reporting.exportFacilityStatuses(
          .with {
            $0.provinceCode = letter.campaign.provinceCode
            $0.filter = .with {
              $0.districtCode = source.unit.code
              $0.mapLevels = levels
            }
          },
          metadata: metadata
        ) { response in
          var written = 0
          for try await message in response.messages {
            try await each(message.row)
            written += 1
          }
          return written
        }
      }
    }
    return count
  }
}
