import Foundation
import Logging
import PostgresNIO

/// One row in every tenant table for a province, written as the superuser, for tests of
/// isolation. ``tenantTables`` must name every tenant table: a migration test fails when a new
/// one is added without a fixture here.
public enum TenantFixtures {
  public static let tenantTables = [
    "accounts", "assessments", "audit_events", "campaigns", "facilities",
    "facility_class_counts", "facility_status", "inspections", "issuance_batches",
    "nomination_drive_responses", "nomination_drives", "nominations", "operating_status_changes",
    "province_settings", "refresh_tokens", "unit_report_events",
    "unit_report_submissions", "unit_reports", "web_sessions", "zones",
  ]

  /// A district of each province used by the fixtures.
  public static let district = ["25": "227", "70": "689", "79": "760"]

  /// Writes the rows of `province` (one of ``district``'s keys).
  public static func seed(province: String, client: PostgresClient, logger: Logger) async throws {
    let district = Self.district[province]!
    let zone = UUID()
    let facility = UUID()
    let account = UUID()
    let campaign = UUID()
    let submission = UUID()
    try await client.withTransaction(logger: logger) { tx in
      try await tx.query(
        """
        INSERT INTO catalogues (kind, version, title, source_note, state, definition, max_points)
        VALUES ('WORKPLACE', 1, 'fixture', 'fixture', 'ACTIVE', '{}', 300)
        ON CONFLICT DO NOTHING
        """,
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO zones (province_code, zone_id, name, zone_type, district_code)
        VALUES (\(province), \(zone), \("Zone " + province), 'INDUSTRIAL_ZONE', \(district))
        """,
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO facilities (province_code, facility_id, name, tax_code, district_code, zone_id)
        VALUES (\(province), \(facility), \("Facility " + province), \(province + "00000001"),
                \(district), \(zone))
        """,
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO accounts (province_code, account_id, username, role, facility_id, password_hash)
        VALUES (\(province), \(account), \("facility" + province), 'FACILITY', \(facility), 'x')
        """,
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO refresh_tokens (province_code, token_id, account_id, family_id, secret_hash,
                                    expires_at)
        VALUES (\(province), \(UUID()), \(account), \(UUID()), '\\x00', now() + interval '1 day')
        """,
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO web_sessions (province_code, session_id, account_id, secret_hash, csrf_token,
                                  expires_at)
        VALUES (\(province), \(UUID()), \(account), '\\x00', 'csrf', now() + interval '1 day')
        """,
        logger: logger
      )
      try await tx.query(
        "INSERT INTO audit_events (province_code, action, outcome) VALUES (\(province), 'Fixture', 'SUCCESS')",
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO operating_status_changes (province_code, facility_id, status, effective_date)
        VALUES (\(province), \(facility), 'ACTIVE', current_date)
        """,
        logger: logger
      )
      try await tx.query(
        "INSERT INTO issuance_batches (province_code, batch_id, issued_by) VALUES (\(province), \(UUID()), \(account))",
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO assessments (province_code, assessment_id, facility_id, kind, catalogue_version,
          request_id, units, score, max_points, index_percent, risk_level, map_level,
          submitted_by, valid_until)
        VALUES (\(province), \(UUID()), \(facility), 'WORKPLACE', 1, 'fixture', '[]', 10, 300,
                3.3, 'VERY_LOW', 'SAFE', \(account), now() + interval '7 days')
        """,
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO inspections (province_code, inspection_id, facility_id, inspection_date,
                                 level_found, recorded_by)
        VALUES (\(province), \(UUID()), \(facility), current_date, 'SAFE', \(account))
        """,
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO facility_status (province_code, facility_id) VALUES (\(province), \(facility))
        ON CONFLICT DO NOTHING
        """,
        logger: logger
      )
      try await tx.query(
        "INSERT INTO province_settings (province_code) VALUES (\(province))",
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO campaigns (province_code, campaign_id, title, start_time, deadline, created_by)
        VALUES (\(province), \(campaign), 'Fixture', now(), now() + interval '7 days', \(account))
        """,
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO unit_report_submissions (province_code, submission_id, campaign_id,
          unit_kind, unit_code, submitted_by, submitted_at, comment, snapshot, content_hash,
          facility_ids, facility_levels, listed_ids, listed_levels, listed_rows)
        VALUES (\(province), \(submission), \(campaign), 'DISTRICT', \(district), \(account),
          now(), 'fixture', '\\x', sha256('fixture'), ARRAY[\(facility)]::uuid[],
          ARRAY['NOT_ASSESSED'], ARRAY[\(facility)]::uuid[], ARRAY['NOT_ASSESSED'],
          ARRAY['\\x'::bytea])
        """,
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO unit_reports (province_code, campaign_id, unit_kind, unit_code, state,
          submission_id, updated_by, updated_at)
        VALUES (\(province), \(campaign), 'DISTRICT', \(district), 'SUBMITTED', \(submission),
          \(account), now())
        """,
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO unit_report_events (province_code, campaign_id, unit_kind, unit_code,
          event_id, state, submission_id, actor, at, text)
        VALUES (\(province), \(campaign), 'DISTRICT', \(district), \(UUID()), 'SUBMITTED',
          \(submission), \(account), now(), 'fixture')
        """,
        logger: logger
      )
      let drive = UUID()
      try await tx.query(
        """
        INSERT INTO nomination_drives (province_code, drive_id, title, deadline, created_by)
        VALUES (\(province), \(drive), 'fixture', now(), \(account))
        """,
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO nomination_drive_responses (province_code, drive_id, unit_kind, unit_code,
          responded_at, responded_by)
        VALUES (\(province), \(drive), 'DISTRICT', \(district), now(), \(account))
        """,
        logger: logger
      )
      try await tx.query(
        """
        INSERT INTO nominations (province_code, nomination_id, drive_id, unit_kind, unit_code,
          facility, name, tax_code, district_code, state, nominated_by)
        VALUES (\(province), \(UUID()), \(drive), 'DISTRICT', \(district), '\\x'::bytea,
          'fixture', \("99" + province + "000001"), \(district), 'SUBMITTED', \(account))
        """,
        logger: logger
      )
    }
  }
}
