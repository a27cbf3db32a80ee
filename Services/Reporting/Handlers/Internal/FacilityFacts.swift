import Foundation
import SafeMapCore

/// One row per facility whose account was issued by the report's instant, with everything a
/// report counts (docs/domain.md): where it is, whether it is active, its map level, whether it
/// was inspected and whether it self-assessed safe but was found unsafe.
///
/// Both instants start from `facility_status`, one narrow row per facility that carries the
/// registry facts reports group by (kept by triggers, migration 0007). "Now" also takes the
/// latest assessment of each kind and inspection from it (written in the same transaction as
/// each submission); an earlier instant takes the latest history row of each kind by then
/// (`assessments_history_idx`, `inspections_facility_idx`). The rules that turn those into a
/// level are written once, below both, and follow ``FacilityStanding``: the worse of the
/// required kinds, OVERDUE when one is past its validity plus the province's grace days.
///
/// Columns: `province_code, facility_id, district_code, zone_id, inside, has_dormitory,
/// issued_at, w_id, w_level, w_at, w_index, d_id, d_level, d_at, d_index, i_level, i_at,
/// active, level, inspected, mismatch, last_at, decider`.
enum FacilityFacts {
  /// A parenthesised subquery for a FROM clause (alias it). `extraColumns` (of
  /// `facility_status s`) are passed through, for reports that need more (the map's location);
  /// `filter` (over `s`) narrows the facilities before anything is looked up.
  static func subquery(
    _ scope: ReportScope,
    at instant: ReportInstant,
    extraColumns: [String] = [],
    filter: String? = nil,
    sql: inout ReportSQL
  ) -> String {
    let time = sql.bind(instant.date) + "::timestamptz"
    let base = base(
      scope,
      at: instant,
      time: time,
      extraColumns: extraColumns,
      filter: filter,
      sql: &sql
    )
    // Results valid until before this are overdue.
    let due: String
    let settings: String
    if let provinceCode = scope.province {
      due = "(\(time) - make_interval(days => \(grace(province: provinceCode, sql: &sql))))"
      settings = ""
    } else {
      due = "(\(time) - make_interval(days => coalesce(ps.overdue_grace_days, 0)))"
      settings = "LEFT JOIN province_settings ps ON ps.province_code = b.province_code"
    }
    let w = rank("b.w_level")
    let d = "CASE WHEN b.has_dormitory THEN \(rank("b.d_level")) END"
    let worst = "GREATEST(\(w), \(d))"
    let lastAt = "GREATEST(b.w_at, CASE WHEN b.has_dormitory THEN b.d_at END)"
    let active = activeExpression(scope, alias: "b", time: time, sql: &sql)
    // Not fenced: the planner can walk `facility_status` in key order and stop at a page.
    return """
      (SELECT b.*,
        \(active) AS active,
        \(level(of: "b", due: due)) AS level,
        b.i_at IS NOT NULL AS inspected,
        coalesce(b.i_level = 'UNSAFE' AND \(worst) = 1 AND b.i_at > \(lastAt), false)
          AS mismatch,
        \(lastAt) AS last_at,
        CASE WHEN \(d) IS NOT NULL AND (\(w) IS NULL OR \(d) > \(w)
            OR (\(d) = \(w) AND b.d_index > b.w_index)) THEN 'DORMITORY'
          WHEN \(w) IS NOT NULL THEN 'WORKPLACE' END AS decider
      FROM (\(base)) b
      \(settings))
      """
  }

  /// ``FacilityStanding/level(workplace:workplaceOverdue:dormitory:dormitoryOverdue:hasDormitory:)``
  /// in SQL, over the columns `w_level`, `w_until`, `d_level`, `d_until` and `has_dormitory`
  /// of `alias`; results valid until before `due` are overdue. `FacilityLevelRuleTests` runs
  /// both on every combination of inputs.
  static func level(of alias: String, due: String) -> String {
    // The level compares the stored levels: ranking both per use cost ~1 ms per 6,500 rows.
    func either(_ level: String) -> String {
      "(\(alias).w_level = \(level) OR (\(alias).has_dormitory AND \(alias).d_level = \(level)))"
    }
    return """
      CASE WHEN \(alias).w_level IS NULL AND (NOT \(alias).has_dormitory OR \(alias).d_level IS NULL)
          THEN 'NOT_ASSESSED'
        WHEN \(alias).w_until < \(due) OR (\(alias).has_dormitory AND \(alias).d_until < \(due))
          THEN 'OVERDUE'
        WHEN \(either("'UNSAFE'")) THEN 'UNSAFE' WHEN \(either("'AT_RISK'")) THEN 'AT_RISK'
        ELSE 'SAFE' END
      """
  }

  /// Whether the facility of `alias` (columns `facility_id`, `status_changed`) is active at
  /// `time` (a placeholder): only facilities whose status ever changed look the history up,
  /// one index probe each (``operatingStatus(_:time:sql:)`` states the rule).
  static func activeExpression(
    _ scope: ReportScope,
    alias: String,
    time: String,
    sql: inout ReportSQL
  ) -> String {
    let province = provinceReference(scope, alias: alias, sql: &sql)
    return """
      (NOT \(alias).status_changed OR coalesce((SELECT c.status FROM operating_status_changes c
        WHERE c.province_code = \(province) AND c.facility_id = \(alias).facility_id
          AND c.changed_at <= \(time)
          AND c.effective_date <= (\(time) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
        ORDER BY c.effective_date DESC, c.changed_at DESC LIMIT 1), 'ACTIVE') = 'ACTIVE')
      """
  }

  /// The facilities of the scope issued by `time` (a placeholder), with the latest result of
  /// each kind and the latest inspection as of the instant, before any rule is applied.
  /// `onlyStatusChanged` keeps the few whose operating status ever changed.
  static func base(
    _ scope: ReportScope,
    at instant: ReportInstant,
    time: String,
    extraColumns: [String] = [],
    filter: String? = nil,
    onlyStatusChanged: Bool = false,
    sql: inout ReportSQL
  ) -> String {
    let statuses = scopePredicate(scope, alias: "s", sql: &sql)
    let province = provinceReference(scope, alias: "s", sql: &sql)
    let extra = extraColumns.map { "s.\($0), " }.joined()
    var conditions = "\(statuses) AND s.issued_at <= \(time)"
    if let filter { conditions += " AND \(filter)" }
    if onlyStatusChanged { conditions += " AND s.status_changed" }
    switch instant {
    case .now:
      return """
        SELECT s.province_code, s.facility_id, s.district_code, s.zone_id,
          s.inside_zone AS inside, s.has_dormitory, s.issued_at, s.status_changed, \(extra)
          s.workplace_assessment_id AS w_id, s.workplace_map_level AS w_level,
          s.workplace_submitted_at AS w_at, s.workplace_valid_until AS w_until,
          s.workplace_index_percent AS w_index,
          s.dormitory_assessment_id AS d_id, s.dormitory_map_level AS d_level,
          s.dormitory_submitted_at AS d_at, s.dormitory_valid_until AS d_until,
          s.dormitory_index_percent AS d_index,
          s.inspection_level AS i_level, s.inspected_at AS i_at
        FROM facility_status s
        WHERE \(conditions)
        """
    case .past:
      return """
        SELECT s.province_code, s.facility_id, s.district_code, s.zone_id,
          s.inside_zone AS inside, s.has_dormitory, s.issued_at, s.status_changed, \(extra)
          w.assessment_id AS w_id, w.map_level AS w_level, w.submitted_at AS w_at,
          w.valid_until AS w_until, w.index_percent AS w_index,
          d.assessment_id AS d_id, d.map_level AS d_level, d.submitted_at AS d_at,
          d.valid_until AS d_until, d.index_percent AS d_index,
          i.level_found AS i_level, i.created_at AS i_at
        FROM facility_status s
        LEFT JOIN LATERAL (\(latestAssessment("WORKPLACE", time: time, province: province))) w
          ON true
        LEFT JOIN LATERAL (\(latestAssessment("DORMITORY", time: time, province: province))) d
          ON true
        LEFT JOIN LATERAL (
          SELECT x.level_found, x.created_at FROM inspections x
          WHERE x.province_code = \(province) AND x.facility_id = s.facility_id
            AND x.created_at <= \(time)
          ORDER BY x.created_at DESC LIMIT 1) i ON true
        WHERE \(conditions)
        """
    }
  }

  /// The province's overdue grace days, as an expression.
  static func grace(province: String, sql: inout ReportSQL) -> String {
    """
    coalesce((SELECT overdue_grace_days FROM province_settings
      WHERE province_code = \(sql.bind(province))), 0)
    """
  }

  /// The operating status of each facility that ever changed it, as of `time` (a
  /// placeholder): the latest change recorded by then whose effective date (Vietnam's calendar)
  /// has come. Facilities without a row are active. Parenthesised, for a join.
  static func operatingStatus(_ scope: ReportScope, time: String, sql: inout ReportSQL)
    -> String
  {
    let changes = scopePredicate(ReportScope(province: scope.province), alias: "c", sql: &sql)
    return """
      (SELECT DISTINCT ON (c.province_code, c.facility_id) c.province_code, c.facility_id,
        c.status
      FROM operating_status_changes c
      WHERE \(changes) AND c.changed_at <= \(time)
        AND c.effective_date <= (\(time) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
      ORDER BY c.province_code, c.facility_id, c.effective_date DESC, c.changed_at DESC)
      """
  }

  /// `province_code = $n AND district_code = $m …` on `alias` for the scope; `true` for an
  /// unrestricted national scope. Naming the province in the statement lets the planner prune
  /// partitions (row-level security alone prunes late).
  static func scopePredicate(_ scope: ReportScope, alias: String, sql: inout ReportSQL)
    -> String
  {
    var parts: [String] = []
    if let province = scope.province {
      parts.append("\(alias).province_code = \(sql.bind(province))")
    }
    if !scope.district.isEmpty {
      parts.append("\(alias).district_code = \(sql.bind(scope.district))")
    }
    if !scope.zone.isEmpty, let zone = UUID(uuidString: scope.zone) {
      parts.append("\(alias).zone_id = \(sql.bind(zone))")
    }
    return parts.isEmpty ? "true" : parts.joined(separator: " AND ")
  }

  /// What a lateral or correlated subquery compares `province_code` with: the province itself
  /// when the scope names one, so the planner prunes to its partition when planning (joins
  /// inherit the outer query's constant; subqueries do not), else `alias.province_code`.
  static func provinceReference(_ scope: ReportScope, alias: String, sql: inout ReportSQL)
    -> String
  {
    scope.province.map { sql.bind($0) } ?? "\(alias).province_code"
  }

  /// Map levels ranked so that GREATEST is "the worse".
  static func rank(_ column: String) -> String {
    "CASE \(column) WHEN 'SAFE' THEN 1 WHEN 'AT_RISK' THEN 2 WHEN 'UNSAFE' THEN 3 END"
  }

  private static func latestAssessment(_ kind: String, time: String, province: String) -> String {
    """
    SELECT x.assessment_id, x.map_level, x.submitted_at, x.valid_until, x.index_percent
    FROM assessments x
    WHERE x.province_code = \(province) AND x.facility_id = s.facility_id
      AND x.kind = '\(kind)' AND x.submitted_at <= \(time)
    ORDER BY x.submitted_at DESC LIMIT 1
    """
  }
}
