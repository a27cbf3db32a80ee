import Foundation
import PostgresNIO
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SafeMapRuntime
import SwiftProtobuf

/// The units a nomination drive asks, and what each had answered at an instant. Every district
/// of the province is asked (a district with no account yet is exactly where unregistered
/// facilities are), and every zone board with facilities in its zone, as for campaign sign-off.
enum DriveUnits {
  struct Answer: Sendable {
    var unit: ReportingUnit
    var respondedAt: Date?
    var nominated: Int
    var comment: String
    var timeliness: UnitReport.Timeliness

    var message: Safemap_Account_V1_NominationUnitResponse {
      .with {
        $0.unit = unit.message
        $0.unitName = unit.name
        if let respondedAt { $0.respondTime = Google_Protobuf_Timestamp(date: respondedAt) }
        $0.timeliness = timeliness.message
        $0.nominated = Int32(nominated)
        $0.comment = comment
      }
    }
  }

  /// Every unit of the drive's province with its answer as of `asOf`, districts first.
  static func answers(drive: DriveRecord, asOf: Date, on connection: PostgresConnection)
    async throws -> [Answer]
  {
    let province = drive.province
    var units: [ReportingUnit] = []
    for try await (kind, code, name) in try await connection.query(
      """
      SELECT 'DISTRICT', code, name FROM districts WHERE province_code = \(province)
      UNION ALL
      SELECT 'ZONE', z.zone_id::text, z.name FROM zones z
      WHERE z.province_code = \(province) AND EXISTS (SELECT 1 FROM facilities f
        WHERE f.province_code = z.province_code AND f.zone_id = z.zone_id)
      ORDER BY 1, 2
      """,
      logger: connection.logger
    ).decode((String, String, String).self) {
      guard let kind = UnitReport.UnitKind(sql: kind) else { continue }
      units.append(ReportingUnit(kind: kind, code: code, name: name))
    }
    var responses: [ReportingUnit: (Date, String)] = [:]
    for try await (kind, code, at, comment) in try await connection.query(
      """
      SELECT unit_kind, unit_code, responded_at, comment FROM nomination_drive_responses
      WHERE province_code = \(province) AND drive_id = \(drive.id) AND responded_at <= \(asOf)
      """,
      logger: connection.logger
    ).decode((String, String, Date, String).self) {
      guard let kind = UnitReport.UnitKind(sql: kind) else { continue }
      responses[ReportingUnit(kind: kind, code: code)] = (at, comment)
    }
    var counts: [ReportingUnit: Int] = [:]
    for try await (kind, code, count) in try await connection.query(
      """
      SELECT unit_kind, unit_code, count(*) FROM nominations
      WHERE province_code = \(province) AND drive_id = \(drive.id) AND created_at <= \(asOf)
      GROUP BY 1, 2
      """,
      logger: connection.logger
    ).decode((String, String, Int64).self) {
      guard let kind = UnitReport.UnitKind(sql: kind) else { continue }
      counts[ReportingUnit(kind: kind, code: code)] = Int(count)
    }
    return units.map { unit in
      let response = responses[unit]
      return Answer(
        unit: unit,
        respondedAt: response?.0,
        nominated: counts[unit] ?? 0,
        comment: response?.1 ?? "",
        timeliness: Nomination.timeliness(respondedAt: response?.0, deadline: drive.deadline)
      )
    }
  }

  /// Records a unit's first answer to a drive (later answers keep its time; a comment given
  /// later replaces the earlier one).
  static func answer(
    drive: UUID,
    province: String,
    unit: ReportingUnit,
    actor: UUID,
    comment: String,
    on connection: PostgresConnection
  ) async throws {
    try await connection.query(
      """
      INSERT INTO nomination_drive_responses (province_code, drive_id, unit_kind, unit_code,
        responded_at, responded_by, comment)
      VALUES (\(province), \(drive), \(unit.kind.sql), \(unit.code), now(), \(actor), \(comment))
      ON CONFLICT (province_code, drive_id, unit_kind, unit_code) DO UPDATE
      SET comment = EXCLUDED.comment WHERE EXCLUDED.comment <> ''
      """,
      logger: connection.logger
    )
  }
}
