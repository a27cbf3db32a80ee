import Foundation
import PostgresNIO

/// The statements of one submission, run after ``TenantSetting`` in the tenant transaction:
/// the immutable history row, then the facility's current status of that kind.
///
/// They are prepared statements (parsed and planned once per connection): on a schema with a
/// partition per province, parsing and planning each statement anew costs more than running
/// it. `assessment-benchmark` hands the same SQL to pgbench, so `parameters` names `$1…$n`.
///
/// Each has an explicit short name: PostgreSQL cuts statement names at 63 bytes, and the
/// default (the reflected Swift type name) makes the two `UpdateStatus` kinds collide there.
package enum SubmissionStatements {
  /// Stores the assessment unless the facility already used the request id (then no row comes
  /// back). The validity period is the province's, read in the same statement.
  package struct InsertAssessment: PostgresPreparedStatement {
    package static let name = "safemap_insert_assessment"
    package static let sql = """
      INSERT INTO assessments (province_code, assessment_id, facility_id, kind, catalogue_version,
        request_id, units, score, max_points, index_percent, risk_level, map_level, top_criteria,
        submitted_by, valid_until)
      VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12::jsonb,
        $13, now() + make_interval(days => coalesce(
          (SELECT validity_days FROM province_settings WHERE province_code = $1), $14::int)))
      ON CONFLICT (province_code, facility_id, request_id) DO NOTHING
      RETURNING assessment_id, submitted_at, valid_until
      """
    package static let parameters = [
      "province_code", "facility_id", "kind", "catalogue_version", "request_id", "units", "score",
      "max_points", "index_percent", "risk_level", "map_level", "top_criteria", "submitted_by",
      "default_validity_days",
    ]
    package typealias Row = (assessmentID: UUID, submittedAt: Date, validUntil: Date)

    var province: String
    var facilityID: UUID
    var kind: String
    var catalogueVersion: Int32
    var requestID: String
    var unitsJSON: String
    var score: Int
    var maxPoints: Int
    var indexPercent: Double
    var riskLevel: String
    var mapLevel: String
    var topCriteriaJSON: String
    var submittedBy: UUID
    var defaultValidityDays: Int32

    package func makeBindings() throws -> PostgresBindings {
      var b = PostgresBindings(capacity: 14)
      b.append(province)
      b.append(facilityID)
      b.append(kind)
      b.append(catalogueVersion)
      b.append(requestID)
      b.append(unitsJSON)
      b.append(score)
      b.append(maxPoints)
      b.append(indexPercent)
      b.append(riskLevel)
      b.append(mapLevel)
      b.append(topCriteriaJSON)
      b.append(submittedBy)
      b.append(defaultValidityDays)
      return b
    }

    package func decodeRow(_ row: PostgresRow) throws -> Row {
      try row.decode((UUID, Date, Date).self)
    }
  }

  /// Points the facility's current status of one kind (workplace or dormitory) at a new
  /// assessment; the other kind and the inspection columns are left as they are.
  package struct UpdateStatus<Columns: StatusColumns>: PostgresPreparedStatement {
    package static var name: String { "safemap_update_\(Columns.prefix)_status" }
    package static var sql: String { Columns.sql }
    package static var parameters: [String] {
      [
        "province_code", "facility_id", "assessment_id", "map_level", "risk_level",
        "index_percent", "submitted_at", "valid_until",
      ]
    }
    package typealias Row = ()

    var province: String
    var facilityID: UUID
    var assessmentID: UUID
    var mapLevel: String
    var riskLevel: String
    var indexPercent: Double
    var submittedAt: Date
    var validUntil: Date

    package func makeBindings() throws -> PostgresBindings {
      var b = PostgresBindings(capacity: 8)
      b.append(province)
      b.append(facilityID)
      b.append(assessmentID)
      b.append(mapLevel)
      b.append(riskLevel)
      b.append(indexPercent)
      b.append(submittedAt)
      b.append(validUntil)
      return b
    }

    package func decodeRow(_ row: PostgresRow) throws {}
  }

  /// The status columns of one assessment kind; the statement text is built once per kind.
  package protocol StatusColumns: Sendable {
    /// The column prefix in `facility_status`.
    static var prefix: String { get }
    static var sql: String { get }
  }

  package enum Workplace: StatusColumns {
    package static let prefix = "workplace"
    package static let sql = updateStatusSQL(prefix: prefix)
  }

  package enum Dormitory: StatusColumns {
    package static let prefix = "dormitory"
    package static let sql = updateStatusSQL(prefix: prefix)
  }

  static func updateStatusSQL(prefix p: String) -> String {
    """
    INSERT INTO facility_status (province_code, facility_id, \(p)_assessment_id, \(p)_map_level,
      \(p)_risk_level, \(p)_index_percent, \(p)_submitted_at, \(p)_valid_until)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (province_code, facility_id) DO UPDATE SET
      \(p)_assessment_id = excluded.\(p)_assessment_id,
      \(p)_map_level = excluded.\(p)_map_level,
      \(p)_risk_level = excluded.\(p)_risk_level,
      \(p)_index_percent = excluded.\(p)_index_percent,
      \(p)_submitted_at = excluded.\(p)_submitted_at,
      \(p)_valid_until = excluded.\(p)_valid_until,
      updated_at = now()
    """
  }
}
