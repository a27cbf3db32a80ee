import Foundation
import Logging
import PostgresNIO

/// What no RPC may do, done once as the schema owner: the demo's assessments, all stamped
/// "now" by SubmitAssessment, move back to the moments they were planned for (their validity
/// with them), the status rows follow their latest assessments, and the accounts' issue
/// times, with the registrations' ACTIVE status (the demo reopens nothing, so every ACTIVE
/// change is a registration), move to before the history: a suspension dated last week must
/// follow the registration, not precede it. The schema's triggers keep the derived rows (issue
/// times in the status rows, the class counters) as the services' own writes would.
enum HistoryShift {
  static func apply(
    ages: [(province: String, assessment: String, age: TimeInterval)],
    provinces: [String],
    issuedBefore: TimeInterval,
    owner: PostgresClient,
    logger: Logger
  ) async throws {
    try await owner.withTransaction(logger: logger) { tx in
      try await tx.query(
        """
        CREATE TEMPORARY TABLE demo_ages (
          province_code text, assessment_id uuid, age_seconds double precision
        ) ON COMMIT DROP
        """,
        logger: logger
      )
      for start in stride(from: 0, to: ages.count, by: 10_000) {
        let batch = ages[start..<min(ages.count, start + 10_000)]
        try await tx.query(
          """
          INSERT INTO demo_ages
          SELECT * FROM unnest(\(batch.map(\.province))::text[],
            \(batch.map(\.assessment))::uuid[], \(batch.map(\.age))::double precision[])
          """,
          logger: logger
        )
      }
      for statement: PostgresQuery in [
        """
        UPDATE assessments a
        SET submitted_at = a.submitted_at - make_interval(secs => d.age_seconds),
          valid_until = a.valid_until - make_interval(secs => d.age_seconds)
        FROM demo_ages d
        WHERE a.province_code = d.province_code AND a.assessment_id = d.assessment_id
        """,
        """
        UPDATE facility_status s
        SET workplace_submitted_at = a.submitted_at, workplace_valid_until = a.valid_until
        FROM assessments a
        WHERE a.province_code = s.province_code AND a.assessment_id = s.workplace_assessment_id
        """,
        """
        UPDATE facility_status s
        SET dormitory_submitted_at = a.submitted_at, dormitory_valid_until = a.valid_until
        FROM assessments a
        WHERE a.province_code = s.province_code AND a.assessment_id = s.dormitory_assessment_id
        """,
        """
        UPDATE accounts SET created_at = created_at - make_interval(secs => \(issuedBefore))
        WHERE province_code = ANY(\(provinces)) AND facility_id IS NOT NULL
        """,
        """
        UPDATE facilities SET created_at = created_at - make_interval(secs => \(issuedBefore))
        WHERE province_code = ANY(\(provinces))
        """,
        """
        UPDATE operating_status_changes
        SET effective_date = effective_date - \(Int32((issuedBefore / 86_400).rounded(.up)))::int
        WHERE province_code = ANY(\(provinces)) AND status = 'ACTIVE'
        """,
      ] {
        try await tx.query(statement, logger: logger)
      }
    }
  }
}
