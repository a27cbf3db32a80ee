import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Logging
import PostgresNIO
import SafeMapAPI
import SafeMapClient
import SafeMapCore
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// Every mutating RPC of every service leaves an audit row, also when it is refused. The
/// methods come from the generated service descriptors, so a new RPC is covered the moment it
/// exists: unless it is listed here as read-only, it must audit its refusals.
@Suite("Audit coverage")
struct AuditCoverageTests {
  /// The methods that change nothing. Everything else is a mutation.
  static let readOnly: Set<String> = [
    "GetSigningKeys", "GetAccount", "ListAccounts", "WhoAmI", "GetWebSession",
    "GetFacility", "ListFacilities", "ListZones", "ListProvinces", "ListDistricts",
    "ListAuditEvents",
    "GetCatalogue", "ListCatalogues", "GetAssessment", "ListAssessments", "GetFacilityStatus",
    "ListInspections", "GetProvinceSettings",
    "GetProvinceSummary", "GetNationalSummary", "ListFacilityStatuses", "ExportFacilityStatuses",
    "GetMapLayer", "GetPublicMap", "ListCampaigns", "GetCampaignProgress", "GetTrend",
    "GetReportingRate", "GetUnitReport", "ListUnitReportFacilities", "GetCampaignLetter",
    "ListNominationDrives", "GetNominationResponseRate", "ListNominations",
    "ListFacilityCredentials", "SummarizeFacilityCredentials",
  ]
  /// Methods whose request or response is a stream.
  static let streaming: Set<String> = ["IssueFacilityAccounts", "ExportFacilityStatuses"]
  static let services: [(SafeMapService, [MethodDescriptor])] = [
    (
      .account,
      Safemap_Account_V1_AccountService.Method.descriptors
        + Safemap_Account_V1_FacilityService.Method.descriptors
        + Safemap_Account_V1_NominationService.Method.descriptors
        + Safemap_Account_V1_CredentialService.Method.descriptors
    ),
    (.assessment, Safemap_Assessment_V1_AssessmentService.Method.descriptors),
    (.reporting, Safemap_Reporting_V1_ReportingService.Method.descriptors),
  ]

  @Test("the read-only list names only methods that exist")
  func readOnlyListIsCurrent() {
    let all = Set(Self.services.flatMap { $0.1.map(\.method) })
    #expect(Self.readOnly.subtracting(all).isEmpty)
  }

  @Test(
    "every mutating RPC audits a refused call",
    arguments: [SafeMapService.account, .assessment, .reporting]
  )
  func mutationsAreAudited(service: SafeMapService) async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let account = try await TestServices.start(.account, database: database)
    let running =
      service == .account
      ? account
      : try await TestServices.start(service, database: database, accountServicePort: account.port)
    // A read-only caller: every mutation is refused, for its role or for its empty request.
    let caller = Principal(
      accountID: UUID().uuidString.lowercased(),
      username: "audit.probe",
      role: .districtOfficer,
      provinceCode: "25",
      districtCode: "227"
    )
    let metadata = try await TestKeys.metadata(for: caller)
    let methods = Self.services.first { $0.0 == service }!.1
      .filter { !Self.readOnly.contains($0.method) }
    #expect(!methods.isEmpty)
    for method in methods {
      try await Self.callEmpty(method, port: running.port, metadata: metadata)
      let audited = try await PostgresTesting.withClient(cluster.configuration(database: database))
      {
        client,
        logger in
        try await client.query(
          "SELECT count(*)::int FROM audit_events WHERE action = \(method.method)",
          logger: logger
        ).decode(Int.self).reduce(0, +)
      }
      #expect(audited > 0, "\(method.fullyQualifiedMethod) left no audit row")
    }
    if service != .account { try await running.stop() }
    try await account.stop()
  }

  /// Calls `method` with an empty message (every request type decodes it as its default) and
  /// ignores the answer: only the audit row matters here.
  static func callEmpty(_ method: MethodDescriptor, port: Int, metadata: Metadata) async throws {
    try await withLocalClient(port: port) { client in
      if streaming.contains(method.method) {
        _ = try? await client.bidirectionalStreaming(
          request: StreamingClientRequest(of: Google_Protobuf_Empty.self, metadata: metadata) {
            try await $0.write(Google_Protobuf_Empty())
          },
          descriptor: method,
          serializer: ProtobufSerializer<Google_Protobuf_Empty>(),
          deserializer: ProtobufDeserializer<Google_Protobuf_Empty>(),
          options: .defaults
        ) { response in
          for try await _ in response.messages {}
        }
      } else {
        _ = try? await client.unary(
          request: ClientRequest(message: Google_Protobuf_Empty(), metadata: metadata),
          descriptor: method,
          serializer: ProtobufSerializer<Google_Protobuf_Empty>(),
          deserializer: ProtobufDeserializer<Google_Protobuf_Empty>(),
          options: .defaults
        ) { try $0.message }
      }
    }
  }
}
