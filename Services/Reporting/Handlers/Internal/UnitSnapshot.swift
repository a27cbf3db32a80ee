import Crypto
import Foundation
import GRPCCore
import NIOCore
import PostgresNIO
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SafeMapRuntime
import SwiftProtobuf

/// What a unit freezes when it submits: its R1 rows and its own row, every active facility
/// with its level, and the R4 and R5 rows as they read at that instant. Taken in one
/// repeatable-read transaction (``Database/withConsistentRead(_:cancellation:_:)``), so the
/// figures and the lists agree with each other exactly.
struct UnitSnapshot: Sendable {
  var message: Safemap_Reporting_V1_UnitReportSnapshot
  /// Every active facility of the unit, by id.
  var entries: [Entry]

  struct Entry: Sendable {
    var facility: UUID
    var level: FacilityStanding.Level
    /// The frozen R4 or R5 row; nil for a safe facility, which is on neither list.
    var row: Safemap_Reporting_V1_FacilityStatusRow?
  }

  /// The largest unit a snapshot takes (a district has a few thousand facilities; the largest
  /// province 60,000): past it the submission is refused rather than memory grown.
  static let maximumFacilities = 100_000

  /// The R4 levels; R5 is at risk and unsafe.
  static let notAssessedLevels: Set<FacilityStanding.Level> = [.notAssessed, .overdue]

  static func take(
    _ unit: ReportingUnit,
    province: String,
    on connection: PostgresConnection
  ) async throws -> UnitSnapshot {
    let scope = unit.scope(province: province)
    let instant = ReportInstant.now(Date())
    let (all, stopped) = try await FacilityClasses.count(
      scope,
      at: instant,
      key: SummaryGroup.location.keyExpression,
      fewFacilities: true,
      on: connection
    )
    let counts = FacilityClasses.summaries(all, stopped: stopped)
    let groups = try await ReportingService.groups(
      scope,
      at: instant,
      by: .location,
      on: connection
    )
    let locationRows = ReportingService.rows(groups: groups, counts: counts)
    var unitRow = ReportingService.total(locationRows)
    unitRow.groupKey = unit.code
    unitRow.groupName = unit.name

    // Every active facility's level, then the R4 and R5 rows in one statement each (a safe
    // facility is on neither list, and most facilities are safe).
    var sql = ReportSQL()
    let facts = FacilityFacts.subquery(scope, at: instant, sql: &sql)
    sql.append(
      """
      SELECT facts.facility_id, facts.level FROM \(facts) facts WHERE facts.active
      ORDER BY facts.facility_id LIMIT \(sql.bind(maximumFacilities + 1))
      """
    )
    var levels: [(UUID, FacilityStanding.Level)] = []
    for try await (id, level) in try await connection.query(sql.query, logger: connection.logger)
      .decode((UUID, String).self)
    {
      levels.append((id, FacilityStanding.Level(sql: level) ?? .notAssessed))
    }
    guard levels.count <= maximumFacilities else {
      throw RPCError(
        code: .resourceExhausted,
        message: "unit: more than \(maximumFacilities) facilities for one snapshot"
      )
    }
    let listed = StatusList(
      everyFacilityOf: scope,
      levels: [.notAssessed, .overdue, .atRisk, .unsafe]
    )
    var rows: [UUID: Safemap_Reporting_V1_FacilityStatusRow] = [:]
    for row in try await listed.page(at: instant, after: nil, limit: levels.count, on: connection) {
      if let id = UUID(uuidString: row.facilityID) { rows[id] = row }
    }
    let entries = levels.map { id, level in
      Entry(facility: id, level: level, row: level == .safe ? nil : rows[id])
    }

    let notAssessed = entries.filter { notAssessedLevels.contains($0.level) }.count
    let atRisk = entries.filter { $0.row != nil }.count - notAssessed
    return UnitSnapshot(
      message: .with {
        $0.unit = unit.message
        $0.snapshotTime = Google_Protobuf_Timestamp(date: instant.date)
        $0.locationRows = locationRows
        $0.unitRow = unitRow
        $0.notAssessedListed = Int32(notAssessed)
        $0.atRiskListed = Int32(atRisk)
      },
      entries: entries
    )
  }

  /// SHA-256 over the serialized snapshot, then each facility in id order (its id, level and
  /// frozen row): anyone holding the same snapshot gets the same hash.
  func contentHash() throws -> Data {
    var hasher = SHA256()
    hasher.update(data: try message.serializedBytes() as [UInt8])
    for entry in entries {
      hasher.update(data: Data(entry.facility.uuidString.lowercased().utf8))
      hasher.update(data: Data(entry.level.sql.utf8))
      if let row = entry.row { hasher.update(data: try row.serializedBytes() as [UInt8]) }
    }
    return Data(hasher.finalize())
  }
}
