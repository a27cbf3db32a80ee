import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import PostgresNIO
import SafeMapAPI
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Synchronization
import Testing

/// Bulk issuance under the security review (issue 8 item 5): bounded batches, concurrent
/// retries, username conflicts, a trail per committed chunk.
@Suite("Issuance bounds")
struct IssuanceBoundsTests {
  static let bed = Task {
    try await AccountTestBed.start(extraEnvironment: ["SAFEMAP_ISSUANCE_MAX_ROWS": "700"])
  }

  static func row(_ number: Int32, taxCode: String) -> Safemap_Account_V1_IssuanceRow {
    .with {
      $0.rowNumber = number
      $0.facility = facilityInput(taxCode: taxCode, name: "Cơ sở \(number)")
    }
  }

  /// Sends `rows` as one batch; returns the results and how the call ended.
  static func issue(
    _ rows: [Safemap_Account_V1_IssuanceRow],
    province: String = "",
    as caller: Metadata,
    bed: AccountTestBed
  ) async -> (results: [Safemap_Account_V1_IssuanceResult], error: RPCError?) {
    let collected = Collected()
    do {
      try await bed.facilities { client in
        try await client.issueFacilityAccounts(
          metadata: caller,
          requestProducer: { writer in
            try await writer.write(.with { $0.options = .with { $0.provinceCode = province } })
            for row in rows { try await writer.write(.with { $0.row = row }) }
          }
        ) { response in
          for try await message in response.messages {
            if case .result(let result) = message.item { collected.append(result) }
          }
        }
      }
      return (collected.all, nil)
    } catch {
      return (collected.all, error as? RPCError)
    }
  }

  final class Collected: Sendable {
    private let state = Mutex<[Safemap_Account_V1_IssuanceResult]>([])
    func append(_ result: Safemap_Account_V1_IssuanceResult) {
      state.withLock { $0.append(result) }
    }
    var all: [Safemap_Account_V1_IssuanceResult] { state.withLock { $0 } }
  }

  @Test("two streams carrying the same rows at once answer every row, each issued exactly once")
  func concurrentRetry() async throws {
    let bed = try await Self.bed.value
    let admin = try await bed.admin
    let officer = try await bed.activeOfficer(
      "sct.concurrent",
      role: .provinceOfficer,
      province: "25",
      as: admin
    )
    let rows = (1...200).map { Self.row(Int32($0), taxCode: String(2_700_000_000 + $0)) }
    async let first = Self.issue(rows, as: officer, bed: bed)
    async let second = Self.issue(rows, as: officer, bed: bed)
    let (a, b) = await (first, second)
    #expect(a.error == nil, "\(String(describing: a.error))")
    #expect(b.error == nil, "\(String(describing: b.error))")
    #expect(a.results.count == 200 && b.results.count == 200)
    let byRow = Dictionary(grouping: a.results + b.results, by: \.rowNumber)
    for number in 1...200 {
      let outcomes = (byRow[Int32(number)] ?? []).map(\.outcome)
      #expect(
        outcomes.sorted { $0.rawValue < $1.rawValue } == [
          Safemap_Account_V1_IssuanceOutcome.issued, .alreadyIssued,
        ],
        "row \(number): \(outcomes)"
      )
    }
  }

  @Test("a batch stops at its row limit after answering the rows before it, and left a trail")
  func rowLimit() async throws {
    let bed = try await Self.bed.value
    let admin = try await bed.admin
    let rows = (1...900).map { Self.row(Int32($0), taxCode: String(2_710_000_000 + $0)) }
    let (results, error) = await Self.issue(rows, province: "25", as: admin, bed: bed)
    #expect(error?.code == .resourceExhausted)
    #expect(error?.message.contains("at most 700 rows") == true)
    #expect(results.count == 700)
    #expect(results.allSatisfy { $0.outcome == .issued })
    // Each committed chunk was audited as it committed, though the batch never completed.
    let trail = try await bed.superuser { client, logger in
      try await client.query(
        """
        SELECT detail FROM audit_events
        WHERE province_code = '25' AND action = 'IssueFacilityAccounts' AND detail LIKE 'rows %'
          AND target_id = (SELECT batch_id::text FROM issuance_batches
                           WHERE issued_count = 700 ORDER BY created_at DESC LIMIT 1)
        """,
        logger: logger
      ).decode(String.self).reduce(into: [String]()) { $0.append($1) }
    }
    #expect(!trail.isEmpty)
    #expect(trail.allSatisfy { $0.contains("issued") })
  }

  @Test("a username conflict rejects that row and the batch goes on")
  func usernameConflict() async throws {
    let bed = try await Self.bed.value
    let admin = try await bed.admin
    // Both usernames a facility with this tax code could take in Bình Phước are held already.
    try await bed.superuser { client, logger in
      for name in ["2720000001", "2720000001.70"] {
        try await client.query(
          """
          INSERT INTO account_directory (username_key, account_id, province_code)
          VALUES (\(name), gen_random_uuid(), '25')
          """,
          logger: logger
        )
      }
    }
    var taken = Self.row(1, taxCode: "2720000001")
    taken.facility.districtCode = "689"
    var free = Self.row(2, taxCode: "2720000002")
    free.facility.districtCode = "689"
    let (results, error) = await Self.issue([taken, free], province: "70", as: admin, bed: bed)
    #expect(error == nil)
    #expect(results.map(\.outcome) == [.rejected, .issued])
    #expect(results.first?.violations.first?.description_p.contains("already taken") == true)
  }

  @Test("tax-code usernames are for facilities; a province that does not exist is INVALID_ARGUMENT")
  func reservedNamesAndUnknownProvinces() async throws {
    let bed = try await Self.bed.value
    let admin = try await bed.admin
    for username in ["0101234567", "0101234567-001", "0101234567.25"] {
      await expectCode(.invalidArgument, mentioning: "username") {
        try await bed.createOfficer(username, role: .provinceOfficer, province: "25", as: admin)
      }
    }
    let (results, error) = await Self.issue(
      [Self.row(1, taxCode: "2730000001")],
      province: "99",
      as: admin,
      bed: bed
    )
    #expect(results.isEmpty)
    #expect(error?.code == .invalidArgument)
    #expect(error?.message.contains("province_code") == true)
    await expectCode(.invalidArgument, mentioning: "province_code") {
      try await bed.facilities {
        try await $0.listFacilities(.with { $0.provinceCode = "99" }, metadata: admin)
      }
    }
  }
}
