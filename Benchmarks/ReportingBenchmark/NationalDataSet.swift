import Foundation
import Logging
import PostgresNIO
import SafeMapCore

/// A national data set at the scale docs/architecture.md designs for: facilities across the 63
/// provinces (the largest, Bình Dương, about 12 % of them), zones in every province, locations
/// inside the province (a grid of districts around its centre), and `days` of history: every
/// issued facility assessing its workplace about weekly, a fifth also a dormitory, some never,
/// some lapsing (overdue), some suspended or closed, some inspected, one open campaign per
/// province.
///
/// Rows go into the tables the services write, with the values they write (usernames are tax
/// codes, `facility_status` holds the latest row of each kind, `valid_until` is seven days on,
/// levels follow the catalogues' bands), set-based per province so 500,000 facilities take
/// minutes, not hours. ``check(_:logger:)`` then proves `facility_status` agrees with the
/// history, as the services' own transactions keep it.
struct NationalDataSet {
  var facilities: Int
  var days: Int

  static let largest = ProvinceGeography.largest

  /// A well-formed Argon2id hash of a random password nobody knows: generated accounts cannot
  /// log in until an officer resets them.
  static let unusablePasswordHash =
    "$argon2id$v=19$m=19456,t=2,p=1$bm9ib2R5LWtub3dzLXRoaXM$"
    + "c2FmZW1hcC1nZW5lcmF0ZWQtYWNjb3VudC1ub2xvZ2lu"

  func generate(_ client: PostgresClient, logger: Logger) async throws {
    let now = Date()
    let start = now.addingTimeInterval(-Double(days) * 86_400)
    let namePrefix = "Công ty TNHH Sản xuất "
    let foldedPrefix = SearchText.fold(namePrefix)
    for (province, count) in ProvinceGeography.sizes(facilities: facilities) {
      let districts = try await client.query(
        "SELECT code FROM districts WHERE province_code = \(province) ORDER BY code",
        logger: logger
      ).decode(String.self).reduce(into: [String]()) { $0.append($1) }
      guard !districts.isEmpty else {
        throw GeneratorError(
          "province \(province) has no districts: import them first "
            + "(safemap-admin import-districts districts.csv)"
        )
      }
      let (lat, lon) = ProvinceGeography.centres[province]!
      let zones = max(2, min(24, count / 2_500))
      try await client.withTransaction(logger: logger) { tx in
        try await tx.query("SELECT set_config('app.province', \(province), true)", logger: logger)
        try await tx.query(
          """
          INSERT INTO zones (province_code, zone_id, name, zone_type, district_code, created_at)
          SELECT \(province), gen_random_uuid(),
            CASE WHEN i % 3 = 2 THEN 'CCN ' WHEN i % 5 = 4 THEN 'KKT ' ELSE 'KCN ' END
              || \(province) || '-' || i,
            CASE WHEN i % 3 = 2 THEN 'INDUSTRIAL_CLUSTER' WHEN i % 5 = 4 THEN 'ECONOMIC_ZONE'
              ELSE 'INDUSTRIAL_ZONE' END,
            (\(districts)::text[])[1 + (i * 7) % cardinality(\(districts)::text[])],
            \(start) - interval '90 days'
          FROM generate_series(1, \(zones)) i
          """,
          logger: logger
        )
        // A third of the facilities in a zone (and its district); the others in a district.
        try await tx.query(
          """
          WITH z AS (
            SELECT row_number() OVER (ORDER BY name) AS k, zone_id, district_code
            FROM zones WHERE province_code = \(province)),
          g AS (
            SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4
            FROM generate_series(1, \(count)) g),
          placed AS (
            SELECT g.*, z.zone_id,
              coalesce(z.district_code,
                (\(districts)::text[])[1 + (g.g * 13) % cardinality(\(districts)::text[])])
                AS district_code
            FROM g LEFT JOIN z ON g.r1 < 0.35 AND z.k = 1 + g.g % \(zones))
          INSERT INTO facilities (province_code, facility_id, name, tax_code, address,
            district_code, zone_id, sector, worker_count, workshop_area_m2, has_dormitory,
            dormitory_residents, contact_phone, contact_email, latitude, longitude,
            search_text, created_at, updated_at)
          SELECT \(province), gen_random_uuid(), \(namePrefix) || \(province) || '-' || g,
            \(province) || lpad(g::text, 8, '0'), 'Lô ' || g || ', đường số ' || (g % 40),
            district_code, zone_id,
            (ARRAY['Dệt may', 'Da giày', 'Điện tử', 'Chế biến gỗ', 'Thực phẩm', 'Cơ khí'])
              [1 + g % 6],
            (ARRAY[35, 120, 260, 640, 1500, 6000])[1 + (g * 7) % 6],
            (ARRAY[35, 120, 260, 640, 1500, 6000])[1 + (g * 7) % 6] * 3.5,
            r2 < 0.2, CASE WHEN r2 < 0.2 THEN 40 + g % 400 ELSE 0 END,
            '02' || lpad((g % 100000000)::text, 8, '0'), 'lienhe' || g || '@example.vn',
            \(lat) - 0.15 + 0.1 * ((array_position(\(districts)::text[], district_code) - 1) / 4)
              + (r3 - 0.5) * 0.06,
            \(lon) - 0.15 + 0.1 * ((array_position(\(districts)::text[], district_code) - 1) % 4)
              + (r4 - 0.5) * 0.06,
            \(foldedPrefix) || \(province) || '-' || g || ' ' || \(province) || lpad(g::text, 8, '0'),
            \(start) - interval '60 days', \(start) - interval '60 days'
          FROM placed
          """,
          logger: logger
        )
        // 97 % issued: most before the window, a tenth during it.
        try await tx.query(
          """
          INSERT INTO accounts (province_code, account_id, username, role, facility_id,
            password_hash, created_at, updated_at)
          SELECT province_code, gen_random_uuid(), tax_code, 'FACILITY', facility_id,
            \(Self.unusablePasswordHash), issued, issued
          FROM (SELECT province_code, facility_id, tax_code,
              CASE WHEN random() < 0.9 THEN \(start) - random() * interval '20 days'
                ELSE \(start) + random() * (\(now)::timestamptz - \(start)) END AS issued
            FROM facilities WHERE province_code = \(province) AND random() < 0.97) f
          """,
          logger: logger
        )
        try await tx.query(
          """
          INSERT INTO account_directory (username_key, account_id, province_code)
          SELECT lower(username), account_id, province_code FROM accounts
          WHERE province_code = \(province) AND role = 'FACILITY'
          """,
          logger: logger
        )
        // 5 % stop during the window (a fifth of them closed); a third of the suspended reopen.
        try await tx.query(
          """
          WITH stopped AS (
            SELECT a.province_code, a.facility_id,
              greatest(a.created_at, \(start)) + random()
                * (\(now)::timestamptz - greatest(a.created_at, \(start))) AS at,
              random() AS r
            FROM accounts a WHERE a.province_code = \(province) AND a.role = 'FACILITY'
              AND random() < 0.05)
          INSERT INTO operating_status_changes (province_code, facility_id, status, reason,
            effective_date, changed_at)
          SELECT province_code, facility_id, CASE WHEN r < 0.2 THEN 'CLOSED' ELSE 'SUSPENDED' END,
            CASE WHEN r < 0.2 THEN 'Giải thể' ELSE 'Tạm dừng sản xuất' END,
            (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, at
          FROM stopped
          UNION ALL
          SELECT province_code, facility_id, 'ACTIVE', 'Hoạt động trở lại',
            ((at + (\(now)::timestamptz - at) / 2) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
            at + (\(now)::timestamptz - at) / 2
          FROM stopped WHERE r >= 0.2 AND r < 0.45
          """,
          logger: logger
        )
        try await tx.query(
          """
          UPDATE facilities f SET operating_status = c.status
          FROM (SELECT DISTINCT ON (facility_id) facility_id, status
            FROM operating_status_changes WHERE province_code = \(province)
            ORDER BY facility_id, effective_date DESC, changed_at DESC) c
          WHERE f.province_code = \(province) AND f.facility_id = c.facility_id
          """,
          logger: logger
        )
        // About weekly from a random first day; 8 % never assess; 6 % lapse after day 30.
        try await tx.query(
          """
          INSERT INTO assessments (province_code, assessment_id, facility_id, kind,
            catalogue_version, request_id, units, score, max_points, index_percent, risk_level,
            map_level, top_criteria, submitted_by, submitted_at, valid_until)
          SELECT s.province_code, gen_random_uuid(), s.facility_id, s.kind, c.version,
            'gen-' || s.kind || '-' || s.n, '[]'::jsonb,
            round(s.idx * c.max_points / 100)::int, c.max_points, s.idx,
            CASE WHEN s.idx <= 15 THEN 'VERY_LOW' WHEN s.idx <= 30 THEN 'LOW'
              WHEN s.idx <= 50 THEN 'MEDIUM' ELSE 'HIGH' END,
            CASE WHEN s.idx <= 15 THEN 'SAFE' WHEN s.idx <= 50 THEN 'AT_RISK' ELSE 'UNSAFE' END,
            \(Self.topCriteria)::jsonb, s.account_id, s.at, s.at + interval '7 days'
          FROM (
            SELECT p.*, CASE WHEN p.q < 0.8 THEN 3 + p.q * 15
                WHEN p.q < 0.95 THEN 16 + (p.q - 0.8) * 220 ELSE 51 + (p.q - 0.95) * 580 END AS idx
            FROM (
              SELECT a.province_code, a.facility_id, a.account_id, k.kind, n.n, a.issued,
                a.lapse, \(start) + (a.first + 7 * n.n) * interval '1 day'
                  + (random() - 0.5) * interval '20 hours' AS at,
                random() AS q
              FROM (
                SELECT a.province_code, a.facility_id, a.account_id, a.created_at AS issued,
                  f.has_dormitory, random() * 7 AS first, random() AS never, random() AS lapse
                FROM accounts a
                JOIN facilities f
                  ON f.province_code = a.province_code AND f.facility_id = a.facility_id
                WHERE a.province_code = \(province) AND a.role = 'FACILITY') a
              CROSS JOIN generate_series(0, \(days / 7 + 1)) n(n)
              JOIN (VALUES ('WORKPLACE'), ('DORMITORY')) k(kind)
                ON k.kind = 'WORKPLACE' OR a.has_dormitory
              WHERE a.never >= 0.08) p
          ) s
          JOIN catalogues c ON c.kind = s.kind AND c.state = 'ACTIVE'
          WHERE s.at >= s.issued AND s.at < \(now)
            AND (s.lapse >= 0.06 OR s.at < \(start) + interval '30 days')
          """,
          logger: logger
        )
        try await tx.query(
          """
          INSERT INTO facility_status (province_code, facility_id,
            workplace_assessment_id, workplace_map_level, workplace_risk_level,
            workplace_index_percent, workplace_submitted_at, workplace_valid_until,
            dormitory_assessment_id, dormitory_map_level, dormitory_risk_level,
            dormitory_index_percent, dormitory_submitted_at, dormitory_valid_until, updated_at)
          SELECT f.province_code, f.facility_id,
            w.assessment_id, w.map_level, w.risk_level, w.index_percent, w.submitted_at,
            w.valid_until,
            d.assessment_id, d.map_level, d.risk_level, d.index_percent, d.submitted_at,
            d.valid_until, greatest(w.submitted_at, d.submitted_at)
          FROM facilities f
          LEFT JOIN LATERAL (\(unescaped: Self.latest("WORKPLACE"))) w ON true
          LEFT JOIN LATERAL (\(unescaped: Self.latest("DORMITORY"))) d ON true
          WHERE f.province_code = \(province)
            AND (w.assessment_id IS NOT NULL OR d.assessment_id IS NOT NULL)
          ON CONFLICT (province_code, facility_id) DO UPDATE SET
            workplace_assessment_id = excluded.workplace_assessment_id,
            workplace_map_level = excluded.workplace_map_level,
            workplace_risk_level = excluded.workplace_risk_level,
            workplace_index_percent = excluded.workplace_index_percent,
            workplace_submitted_at = excluded.workplace_submitted_at,
            workplace_valid_until = excluded.workplace_valid_until,
            dormitory_assessment_id = excluded.dormitory_assessment_id,
            dormitory_map_level = excluded.dormitory_map_level,
            dormitory_risk_level = excluded.dormitory_risk_level,
            dormitory_index_percent = excluded.dormitory_index_percent,
            dormitory_submitted_at = excluded.dormitory_submitted_at,
            dormitory_valid_until = excluded.dormitory_valid_until,
            updated_at = excluded.updated_at
          """,
          logger: logger
        )
        // 3 % inspected once; a tenth of those found unsafe.
        try await tx.query(
          """
          INSERT INTO inspections (province_code, inspection_id, facility_id, inspection_date,
            findings, level_found, inspector_name, recorded_by, created_at)
          SELECT province_code, gen_random_uuid(), facility_id, (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
            'Kiểm tra định kỳ', CASE WHEN r < 0.7 THEN 'SAFE' WHEN r < 0.9 THEN 'AT_RISK'
              ELSE 'UNSAFE' END, 'Đoàn kiểm tra liên ngành', gen_random_uuid(), at
          FROM (SELECT a.province_code, a.facility_id, random() AS r,
              greatest(a.created_at, \(start)) + random()
                * (\(now)::timestamptz - greatest(a.created_at, \(start))) AS at
            FROM accounts a WHERE a.province_code = \(province) AND a.role = 'FACILITY'
              AND random() < 0.03) i
          """,
          logger: logger
        )
        try await tx.query(
          """
          INSERT INTO facility_status (province_code, facility_id, inspection_id,
            inspection_level, inspection_date, inspected_at)
          SELECT province_code, facility_id, inspection_id, level_found, inspection_date, created_at
          FROM inspections WHERE province_code = \(province)
          ON CONFLICT (province_code, facility_id) DO UPDATE SET
            inspection_id = excluded.inspection_id, inspection_level = excluded.inspection_level,
            inspection_date = excluded.inspection_date, inspected_at = excluded.inspected_at
          """,
          logger: logger
        )
        try await tx.query(
          """
          INSERT INTO campaigns (province_code, campaign_id, title, start_time, deadline,
            created_by)
          VALUES (\(province), gen_random_uuid(), 'Tự đánh giá định kỳ',
            \(now) - interval '10 days', \(now) + interval '4 days', gen_random_uuid())
          """,
          logger: logger
        )
      }
      logger.info("generated province \(province): \(count) facilities")
    }
    try await client.query("ANALYZE", logger: logger)
  }

  static let topCriteria = """
    [{"criterionCode":"CS1","title":"Số người lao động làm việc cùng nhau","optionCode":"CS1.200_499","points":4},
    {"criterionCode":"CS6","title":"Khoảng cách giữa người lao động","optionCode":"CS6.1","points":3}]
    """

  static func latest(_ kind: String) -> String {
    """
    SELECT x.assessment_id, x.map_level, x.risk_level, x.index_percent, x.submitted_at,
      x.valid_until
    FROM assessments x
    WHERE x.province_code = f.province_code AND x.facility_id = f.facility_id
      AND x.kind = '\(kind)'
    ORDER BY x.submitted_at DESC LIMIT 1
    """
  }

  /// Facilities whose `facility_status` disagrees with the registry (district, zone, dormitory,
  /// issue time) or the history (latest assessment of each kind, latest inspection): 0 when the
  /// current-state table is what the services' transactions and the triggers would have left.
  static func check(_ client: PostgresClient, logger: Logger) async throws -> Int {
    let rows = try await client.query(
      """
      SELECT count(*)::int8 FROM facilities f
      LEFT JOIN facility_status s
        ON s.province_code = f.province_code AND s.facility_id = f.facility_id
      LEFT JOIN accounts a ON a.province_code = f.province_code AND a.facility_id = f.facility_id
      LEFT JOIN LATERAL (\(unescaped: latest("WORKPLACE"))) w ON true
      LEFT JOIN LATERAL (\(unescaped: latest("DORMITORY"))) d ON true
      LEFT JOIN LATERAL (
        SELECT i.inspection_id FROM inspections i
        WHERE i.province_code = f.province_code AND i.facility_id = f.facility_id
        ORDER BY i.created_at DESC LIMIT 1) i ON true
      WHERE s.facility_id IS NULL OR s.district_code IS DISTINCT FROM f.district_code
        OR s.zone_id IS DISTINCT FROM f.zone_id OR s.has_dormitory IS DISTINCT FROM f.has_dormitory
        OR s.issued_at IS DISTINCT FROM a.created_at
        OR s.workplace_assessment_id IS DISTINCT FROM w.assessment_id
        OR s.workplace_submitted_at IS DISTINCT FROM w.submitted_at
        OR s.dormitory_assessment_id IS DISTINCT FROM d.assessment_id
        OR s.inspection_id IS DISTINCT FROM i.inspection_id
      """,
      logger: logger
    )
    for try await count in rows.decode(Int64.self) { return Int(count) }
    return 0
  }
}

struct GeneratorError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
