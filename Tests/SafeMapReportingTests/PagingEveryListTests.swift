import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// Every list RPC, read two rows a page through its tokens, gives the same rows in the same
/// order as one large page: no row twice, none skipped (`Paging.Page` in Shared/Runtime). A
/// token of one list is refused by another.
@Suite("Paging every list")
struct PagingEveryListTests {
  /// One page of a list: the rows' ids and the next token.
  typealias Fetch = @Sendable (_ token: String, _ size: Int32) async throws -> ([String], String)

  static func officer() async throws -> Metadata {
    try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
  }

  static func account<R: Sendable>(
    _ world: ReportScenario,
    _ body:
      @escaping @Sendable (Safemap_Account_V1_AccountService.Client<HTTP2ClientTransport.Posix>)
      async throws -> R
  ) async throws -> R {
    try await withLocalClient(port: world.bed.account.port) { client in
      try await body(Safemap_Account_V1_AccountService.Client(wrapping: client))
    }
  }

  static func lists(_ world: ReportScenario, _ token: Metadata) -> [(String, Fetch)] {
    let bed = world.bed
    let facility = world.ids["A2"]!
    return [
      (
        "ListFacilities",
        { page, size in
          let r = try await bed.facilities {
            try await $0.listFacilities(
              .with {
                $0.pageToken = page
                $0.pageSize = size
              },
              metadata: token
            )
          }
          return (r.facilities.map(\.facilityID), r.nextPageToken)
        }
      ),
      (
        "ListZones",
        { page, size in
          let r = try await bed.facilities {
            try await $0.listZones(
              .with {
                $0.pageToken = page
                $0.pageSize = size
              },
              metadata: token
            )
          }
          return (r.zones.map(\.zoneID), r.nextPageToken)
        }
      ),
      (
        "ListDistricts",
        { page, size in
          let r = try await bed.facilities {
            try await $0.listDistricts(
              .with {
                $0.provinceCode = "25"
                $0.pageToken = page
                $0.pageSize = size
              },
              metadata: token
            )
          }
          return (r.districts.map(\.code), r.nextPageToken)
        }
      ),
      (
        "ListAuditEvents",
        { page, size in
          let r = try await bed.facilities {
            try await $0.listAuditEvents(
              .with {
                $0.pageToken = page
                $0.pageSize = size
              },
              metadata: token
            )
          }
          return (r.events.map(\.eventID), r.nextPageToken)
        }
      ),
      (
        "ListAccounts",
        { page, size in
          let r = try await Self.account(world) {
            try await $0.listAccounts(
              .with {
                $0.pageToken = page
                $0.pageSize = size
              },
              metadata: token
            )
          }
          return (r.accounts.map(\.accountID), r.nextPageToken)
        }
      ),
      (
        "ListAssessments",
        { page, size in
          let r = try await bed.assessments {
            try await $0.listAssessments(
              .with {
                $0.facilityID = facility
                $0.pageToken = page
                $0.pageSize = size
              },
              metadata: token
            )
          }
          return (r.assessments.map(\.assessmentID), r.nextPageToken)
        }
      ),
      (
        "ListInspections",
        { page, size in
          let r = try await bed.assessments {
            try await $0.listInspections(
              .with {
                $0.pageToken = page
                $0.pageSize = size
              },
              metadata: token
            )
          }
          return (r.inspections.map(\.inspectionID), r.nextPageToken)
        }
      ),
      (
        "ListCampaigns",
        { page, size in
          let r = try await bed.reports {
            try await $0.listCampaigns(
              .with {
                $0.includePast = true
                $0.pageToken = page
                $0.pageSize = size
              },
              metadata: token
            )
          }
          return (r.campaigns.map(\.campaignID), r.nextPageToken)
        }
      ),
      (
        "ListFacilityStatuses",
        { page, size in
          let r = try await bed.reports {
            try await $0.listFacilityStatuses(
              .with {
                $0.pageToken = page
                $0.pageSize = size
              },
              metadata: token
            )
          }
          return (r.rows.map(\.facilityID), r.nextPageToken)
        }
      ),
    ]
  }

  @Test("two rows a page give every row once, in the order of one large page")
  func everyRowOnce() async throws {
    let world = try await ReportScenario.shared.value
    let token = try await Self.officer()
    for (name, fetch) in Self.lists(world, token) {
      let (all, last) = try await fetch("", 1000)
      #expect(last.isEmpty, "\(name): one page holds them all")
      // The scenario runs one campaign: its list pages trivially.
      #expect(all.count >= (name == "ListCampaigns" ? 1 : 2), "\(name): \(all.count) rows")
      var paged: [String] = []
      var next = ""
      var pages = 0
      repeat {
        let (rows, token) = try await fetch(next, 2)
        #expect(rows.count <= 2)
        paged += rows
        next = token
        pages += 1
      } while !next.isEmpty && pages <= all.count
      // The audit log grows while it is read (reads of personal data are audited, by this
      // test too): rows newer than the large page may come first; the rest must match it.
      let growing = name == "ListAuditEvents"
      let known = Set(all)
      #expect(paged.filter(known.contains) == all, "\(name)")
      #expect(growing || paged.count == all.count, "\(name)")
      #expect(Set(paged).count == paged.count, "\(name): a row came twice")
    }
  }

  @Test("a token from another list, or no token at all, is INVALID_ARGUMENT naming page_token")
  func foreignTokens() async throws {
    let world = try await ReportScenario.shared.value
    let token = try await Self.officer()
    let lists = Self.lists(world, token)
    var tokens: [String: String] = [:]
    for (name, fetch) in lists {
      tokens[name] = try await fetch("", 1).1
    }
    let strays = tokens.values.filter { !$0.isEmpty }
    for (name, fetch) in lists {
      let foreign = tokens.filter { $0.key != name && !$0.value.isEmpty }.map(\.value)
      #expect(!foreign.isEmpty && strays.count >= 2)
      for bad in foreign + ["bm90LWEtdG9rZW4", "not a token!"] {
        await expectCode(.invalidArgument, mentioning: "page_token") {
          _ = try await fetch(bad, 1)
        }
      }
    }
  }
}
