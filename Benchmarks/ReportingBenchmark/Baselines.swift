import Foundation
import Logging
import PostgresNIO
import SafeMapAPI
import SafeMapDatabase
import SafeMapTestSupport

/// The plainest correct SQL for each benchmarked answer, written without the service's query
/// builder (so a slow shape there shows up against it), run as `safemap_reporting` under the
/// same row-level security, the p50 of a few runs. The rules are those of docs/domain.md
/// (reports), spelt out.
struct Baselines {
  let configuration: DatabaseConfiguration
  let province: String
  static let runs = 15

  init(cluster: PostgresCluster, province: String) async throws {
    configuration = cluster.configuration(database: "bench", user: "safemap_reporting")
    self.province = province
  }

  /// The level of `f` from the latest rows `w` and `d` (columns map_level, valid_until) at
  /// `t`, with the province's grace `g`.
  static let level = """
    CASE
      WHEN w.map_level IS NULL AND (NOT f.has_dormitory OR d.map_level IS NULL) THEN 'NOT_ASSESSED'
      WHEN w.valid_until + g.grace < t.t OR (f.has_dormitory AND d.valid_until + g.grace < t.t)
        THEN 'OVERDUE'
      WHEN 'UNSAFE' IN (w.map_level, CASE WHEN f.has_dormitory THEN d.map_level END) THEN 'UNSAFE'
      WHEN 'AT_RISK' IN (w.map_level, CASE WHEN f.has_dormitory THEN d.map_level END)
        THEN 'AT_RISK'
      ELSE 'SAFE' END
    """

  /// Every issued facility with `active`, `level`, `inspected`, `mismatch` at `t` (a `t(t)`
  /// relation in scope), now from `facility_status` or from the history.
  static func facts(province: String?, history: Bool) -> String {
    // Subqueries name the province themselves: only then does the planner prune partitions.
    let p = province.map { "'\($0)'" } ?? "f.province_code"
    let predicate = province.map { "f.province_code = '\($0)'" } ?? "true"
    let latest =
      history
      ? """
      LEFT JOIN LATERAL (SELECT map_level, valid_until, submitted_at FROM assessments x
        WHERE x.province_code = \(p) AND x.facility_id = f.facility_id
          AND x.kind = 'WORKPLACE' AND x.submitted_at <= t.t
        ORDER BY x.submitted_at DESC LIMIT 1) w ON true
      LEFT JOIN LATERAL (SELECT map_level, valid_until, submitted_at FROM assessments x
        WHERE x.province_code = \(p) AND x.facility_id = f.facility_id
          AND x.kind = 'DORMITORY' AND x.submitted_at <= t.t
        ORDER BY x.submitted_at DESC LIMIT 1) d ON true
      LEFT JOIN LATERAL (SELECT level_found, created_at FROM inspections x
        WHERE x.province_code = \(p) AND x.facility_id = f.facility_id
          AND x.created_at <= t.t
        ORDER BY x.created_at DESC LIMIT 1) i ON true
      """
      : """
      LEFT JOIN facility_status s
        ON s.province_code = f.province_code AND s.facility_id = f.facility_id
      CROSS JOIN LATERAL (SELECT s.workplace_map_level AS map_level,
        s.workplace_valid_until AS valid_until, s.workplace_submitted_at AS submitted_at) w
      CROSS JOIN LATERAL (SELECT s.dormitory_map_level AS map_level,
        s.dormitory_valid_until AS valid_until, s.dormitory_submitted_at AS submitted_at) d
      CROSS JOIN LATERAL (SELECT s.inspection_level AS level_found,
        s.inspected_at AS created_at) i
      """
    return """
      SELECT f.province_code, f.facility_id, f.district_code, f.latitude, f.longitude, f.name,
        GREATEST(w.submitted_at, CASE WHEN f.has_dormitory THEN d.submitted_at END) AS last_at,
        coalesce(op.status, 'ACTIVE') = 'ACTIVE' AS active,
        \(level) AS level,
        i.created_at IS NOT NULL AS inspected,
        coalesce(i.level_found = 'UNSAFE' AND \(level) IN ('SAFE', 'OVERDUE')
          AND 'SAFE' = ALL (ARRAY[w.map_level, CASE WHEN f.has_dormitory THEN d.map_level END])
          AND i.created_at > GREATEST(w.submitted_at,
            CASE WHEN f.has_dormitory THEN d.submitted_at END), false) AS mismatch
      FROM facilities f
      JOIN accounts a ON a.province_code = f.province_code AND a.facility_id = f.facility_id
      CROSS JOIN t
      LEFT JOIN (SELECT DISTINCT ON (c.province_code, c.facility_id) c.province_code,
          c.facility_id, c.status
        FROM operating_status_changes c, t
        WHERE \(province.map { "c.province_code = '\($0)'" } ?? "true") AND c.changed_at <= t.t
          AND c.effective_date <= (t.t AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
        ORDER BY c.province_code, c.facility_id, c.effective_date DESC, c.changed_at DESC) op
        ON op.province_code = f.province_code AND op.facility_id = f.facility_id
      LEFT JOIN province_settings ps ON ps.province_code = f.province_code
      CROSS JOIN LATERAL (SELECT make_interval(days => coalesce(ps.overdue_grace_days, 0))
        AS grace) g
      \(latest)
      WHERE \(predicate) AND a.created_at <= t.t
      """
  }

  static let counts = """
    count(*), count(*) FILTER (WHERE NOT active),
    count(*) FILTER (WHERE active AND level = 'SAFE'),
    count(*) FILTER (WHERE active AND level = 'AT_RISK'),
    count(*) FILTER (WHERE active AND level = 'UNSAFE'),
    count(*) FILTER (WHERE active AND level = 'OVERDUE'),
    count(*) FILTER (WHERE active AND level = 'NOT_ASSESSED'),
    count(*) FILTER (WHERE active AND inspected), count(*) FILTER (WHERE active AND mismatch)
    """

  func provinceByDistrict(at instant: Date?) async throws -> Double {
    let time = instant.map { "'\(Self.iso($0))'::timestamptz" } ?? "now()"
    return try await p50(
      tenant: province,
      """
      WITH t(t) AS (SELECT \(time))
      SELECT district_code, \(Self.counts)
      FROM (\(Self.facts(province: province, history: instant != nil))) x
      GROUP BY district_code
      """
    )
  }

  func national() async throws -> Double {
    try await p50(
      tenant: "*",
      """
      WITH t(t) AS (SELECT now())
      SELECT province_code, \(Self.counts)
      FROM (\(Self.facts(province: nil, history: false))) x GROUP BY province_code
      """
    )
  }

  func listPage() async throws -> Double {
    let r4 = """
      WITH t(t) AS (SELECT now())
      SELECT x.facility_id, f.name, f.tax_code, f.address, f.district_code, f.contact_phone,
        a.username, a.created_at, x.level
      FROM (\(Self.facts(province: province, history: false))) x
      JOIN facilities f ON f.province_code = '\(province)' AND f.facility_id = x.facility_id
      JOIN accounts a ON a.province_code = '\(province)' AND a.facility_id = x.facility_id
      WHERE x.active AND x.level IN ('NOT_ASSESSED', 'OVERDUE')
      ORDER BY x.facility_id LIMIT 50
      """
    let total = """
      WITH t(t) AS (SELECT now())
      SELECT count(*) FROM (\(Self.facts(province: province, history: false))) x
      WHERE x.active AND x.level IN ('NOT_ASSESSED', 'OVERDUE')
      """
    return try await p50(tenant: province, r4, total)
  }

  func map(district: String, box: Safemap_Reporting_V1_BoundingBox) async throws -> Double {
    let inBox = """
      latitude BETWEEN \(box.low.latitude) AND \(box.high.latitude)
        AND longitude BETWEEN \(box.low.longitude) AND \(box.high.longitude)
      """
    let facts = Self.facts(province: province, history: false)
    return try await p50(
      tenant: province,
      """
      WITH t(t) AS (SELECT now())
      SELECT facility_id, latitude, longitude, level FROM (\(facts)) x
      WHERE active AND \(inBox) ORDER BY facility_id LIMIT 20001
      """,
      """
      WITH t(t) AS (SELECT now()),
      touched AS MATERIALIZED (SELECT DISTINCT district_code FROM facilities
        WHERE province_code = '\(province)' AND \(inBox))
      SELECT x.district_code, x.level, count(*) FROM (\(facts)) x
      JOIN touched ON touched.district_code = x.district_code
      WHERE x.active
      GROUP BY x.district_code, x.level
      """
    )
  }

  /// The public map of the province: every active located facility's public fields, and the
  /// counts per district and level.
  func publicMap() async throws -> Double {
    let facts = Self.facts(province: province, history: false)
    return try await p50(
      tenant: province,
      """
      WITH t(t) AS (SELECT now())
      SELECT name, district_code, latitude, longitude, level,
        to_char(last_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD')
      FROM (\(facts)) x WHERE active AND latitude IS NOT NULL
      """,
      """
      WITH t(t) AS (SELECT now())
      SELECT x.district_code, x.level, count(*) FROM (\(facts)) x
      WHERE x.active AND x.latitude IS NOT NULL
      GROUP BY x.district_code, x.level
      """
    )
  }

  /// The level counts as of the end of each of `days` days: the as-of query once per day.
  func trend(days: Int) async throws -> Double {
    let facts = Self.facts(province: province, history: true)
    return try await p50(
      tenant: province,
      runs: 3,
      """
      SELECT day, level, count(*) FROM generate_series(
        date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') - interval '\(days - 1) days',
        date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh'), interval '1 day') day
      CROSS JOIN LATERAL (
        WITH t(t) AS (SELECT least(now(),
          ((day + interval '1 day') AT TIME ZONE 'Asia/Ho_Chi_Minh') - interval '1 microsecond'))
        SELECT level FROM (\(facts)) x WHERE active) x
      GROUP BY day, level
      """
    )
  }

  func campaign(_ id: String) async throws -> Double {
    try await p50(
      tenant: province,
      """
      WITH c AS (SELECT * FROM campaigns WHERE province_code = '\(province)'
        AND campaign_id = '\(id)'),
      t(t) AS (SELECT least(now(), (SELECT deadline FROM c)))
      SELECT f.district_code, count(*), count(*) FILTER (WHERE EXISTS (
          SELECT 1 FROM assessments x WHERE x.province_code = '\(province)'
            AND x.facility_id = f.facility_id AND x.kind = 'WORKPLACE'
            AND x.submitted_at BETWEEN (SELECT start_time FROM c) AND t.t)
        AND (NOT f.has_dormitory OR EXISTS (
          SELECT 1 FROM assessments x WHERE x.province_code = '\(province)'
            AND x.facility_id = f.facility_id AND x.kind = 'DORMITORY'
            AND x.submitted_at BETWEEN (SELECT start_time FROM c) AND t.t)))
      FROM facilities f
      JOIN accounts a ON a.province_code = f.province_code AND a.facility_id = f.facility_id
      CROSS JOIN t
      WHERE f.province_code = '\(province)' AND a.created_at <= t.t
        AND coalesce((SELECT c.status FROM operating_status_changes c
          WHERE c.province_code = '\(province)' AND c.facility_id = f.facility_id
            AND c.changed_at <= t.t
            AND c.effective_date <= (t.t AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
          ORDER BY c.effective_date DESC, c.changed_at DESC LIMIT 1), 'ACTIVE') = 'ACTIVE'
      GROUP BY f.district_code
      """
    )
  }

  func campaignID() async throws -> String {
    try await first(
      "SELECT campaign_id::text FROM campaigns WHERE province_code = '\(province)' LIMIT 1"
    )
  }

  /// The district with the most facilities, and its place in the province's list (for its
  /// position on the generated grid).
  func largestDistrict() async throws -> (code: String, index: Int) {
    let code = try await first(
      """
      SELECT district_code FROM facilities WHERE province_code = '\(province)'
      GROUP BY district_code ORDER BY count(*) DESC LIMIT 1
      """
    )
    let index = try await first(
      """
      SELECT (count(*) - 1)::text FROM districts
      WHERE province_code = '\(province)' AND code <= '\(code)'
      """
    )
    return (code, Int(index) ?? 0)
  }

  private func first(_ sql: String) async throws -> String {
    let province = self.province
    return try await PostgresTesting.withClient(configuration) { client, logger in
      try await client.withTransaction(logger: logger) { tx in
        try await tx.query("SELECT set_config('app.province', \(province), true)", logger: logger)
        for try await value in try await tx.query(PostgresQuery(unsafeSQL: sql), logger: logger)
          .decode(String.self)
        {
          return value
        }
        return ""
      }
    }
  }

  /// The median time of `runs` transactions running `statements` in turn (fewer, but at least
  /// two after the first, when they take more than 20 seconds together).
  private func p50(tenant: String, runs: Int = runs, _ statements: String...) async throws
    -> Double
  {
    try await PostgresTesting.withClient(configuration) { client, logger in
      let samples = Samples()
      let clock = ContinuousClock()
      let budget = clock.now.advanced(by: .seconds(20))
      for run in 0...runs where run < 3 || clock.now < budget {
        let began = clock.now
        try await client.withTransaction(logger: logger) { tx in
          try await tx.query("SET LOCAL statement_timeout = 0", logger: logger)
          try await tx.query("SELECT set_config('app.province', \(tenant), true)", logger: logger)
          for statement in statements {
            for try await _ in try await tx.query(
              PostgresQuery(unsafeSQL: statement),
              logger: logger
            ) {}
          }
        }
        // The first run warms the cache.
        if run > 0 { samples.add((clock.now - began).seconds * 1_000) }
      }
      return samples.percentile(0.5)
    }
  }

  static func iso(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
  }
}
