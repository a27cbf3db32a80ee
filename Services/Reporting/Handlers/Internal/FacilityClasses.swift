import Foundation
import PostgresNIO
import SafeMapContract
import SafeMapCore

/// What a count needs to know of a facility, as the database groups it: the latest result of
/// each kind and whether it is past its validity and grace, and the inspection. The level
/// comes from ``FacilityStanding``, the one rule, applied here to a few hundred classes
/// instead of once per facility in SQL.
struct FacilityClass: Hashable, Sendable {
  var hasDormitory: Bool
  var workplace: MapLevel?
  var workplaceOverdue: Bool
  var dormitory: MapLevel?
  var dormitoryOverdue: Bool
  var inspected: Bool
  /// The latest inspection found it unsafe after its latest submission.
  var inspectedUnsafeSince: Bool

  var level: FacilityStanding.Level {
    FacilityStanding.level(
      workplace: workplace,
      workplaceOverdue: workplaceOverdue,
      dormitory: dormitory,
      dormitoryOverdue: dormitoryOverdue,
      hasDormitory: hasDormitory
    )
  }

  /// "Self-assessed safe, inspected unsafe".
  var mismatch: Bool {
    inspectedUnsafeSince
      && FacilityStanding.worst(
        workplace: workplace,
        dormitory: dormitory,
        hasDormitory: hasDormitory
      ) == .safe
  }
}

/// Facilities counted by group and class at an instant, in two passes: every issued facility
/// as if active (from the counters of migration 0010 "now"), then the few whose status at the
/// instant is suspended or closed (only facilities whose status ever changed can be,
/// `facility_status_changed_idx`), which the caller moves to "stopped". Joining every facility
/// to the status history cost more than the rest of a national summary together.
enum FacilityClasses {
  struct Count: Sendable {
    var key: String
    var facilityClass: FacilityClass
    var count: Int
  }

  /// `key` is an SQL expression over the base relation `b` (``FacilityFacts/base``);
  /// `predicate` builds an extra condition over `b` into each statement. `perFacility`: the
  /// predicate reads more of a facility than its class and place (a campaign's window), so
  /// the counters of "now" cannot answer it. `fewFacilities`: the predicate keeps a few
  /// districts, whose stopped candidates look their status up one by one.
  static func count(
    _ scope: ReportScope,
    at instant: ReportInstant,
    key: String,
    predicate: ((inout ReportSQL) -> String)? = nil,
    perFacility: Bool = false,
    fewFacilities: Bool = false,
    on connection: PostgresConnection
  ) async throws -> (all: [Count], stopped: [Count]) {
    let all = try await count(
      scope,
      at: instant,
      key: key,
      predicate: predicate,
      stopped: false,
      perFacility: perFacility,
      on: connection
    )
    let stopped = try await count(
      scope,
      at: instant,
      key: key,
      predicate: predicate,
      stopped: true,
      fewFacilities: fewFacilities,
      on: connection
    )
    return (all, stopped)
  }

  /// One of the two passes: every issued facility (`stopped` false) or those stopped at the
  /// instant. The two may run on separate connections at once. Every issued facility "now" is
  /// read from the counters (``countedNow(_:at:key:predicate:graces:on:)``) unless `perFacility`.
  /// Stopped facilities are found by reading the province's status history once, or with
  /// `fewFacilities` by one index probe per candidate (faster for a district, 3× slower for a
  /// province).
  static func count(
    _ scope: ReportScope,
    at instant: ReportInstant,
    key: String,
    predicate: ((inout ReportSQL) -> String)? = nil,
    stopped: Bool,
    perFacility: Bool = false,
    fewFacilities: Bool = false,
    on connection: PostgresConnection
  ) async throws -> [Count] {
    let graces = try await graceDays(scope, on: connection)
    if case .now = instant, !stopped, !perFacility {
      return try await countedNow(
        scope,
        at: instant,
        key: key,
        predicate: predicate,
        graces: graces,
        on: connection
      )
    }
    var sql = ReportSQL()
    let time = sql.bind(instant.date) + "::timestamptz"
    let base = FacilityFacts.base(
      scope,
      at: instant,
      time: time,
      onlyStatusChanged: stopped,
      sql: &sql
    )
    let due = dueExpression(graces, time: time, sql: &sql)
    var conditions = predicate.map { $0(&sql) } ?? "true"
    var join = ""
    if stopped, fewFacilities {
      let active = FacilityFacts.activeExpression(scope, alias: "b", time: time, sql: &sql)
      conditions += " AND NOT \(active)"
    } else if stopped {
      join = """
        JOIN \(FacilityFacts.operatingStatus(scope, time: time, sql: &sql)) op
          ON op.province_code = b.province_code AND op.facility_id = b.facility_id
        """
      conditions += " AND op.status <> 'ACTIVE'"
    }
    sql.append(
      """
      SELECT \(classColumns(key: key, due: due))
      FROM (\(base)) b
      \(join)
      WHERE \(conditions)
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
      """
    )
    return try await classes(sql, on: connection)
  }

  /// Every issued facility now, from `facility_class_counts` (migration 0010): the counters of
  /// each place and class, then the facilities whose earliest validity has passed
  /// (`facility_status_expiry_idx`), moved from their class as counted to the class with their
  /// overdue flags. A facility still inside its grace days comes out of its class and goes
  /// back into it.
  static func countedNow(
    _ scope: ReportScope,
    at instant: ReportInstant,
    key: String,
    predicate: ((inout ReportSQL) -> String)?,
    graces: [String: Int],
    on connection: PostgresConnection
  ) async throws -> [Count] {
    var sql = ReportSQL()
    let places = FacilityFacts.scopePredicate(scope, alias: "c", sql: &sql)
    let conditions = predicate.map { $0(&sql) } ?? "true"
    sql.append(
      """
      SELECT \(key), b.has_dormitory, b.w_level, b.d_level, false, false, b.inspected,
        b.unsafe_since, sum(b.facilities)::int8
      FROM (SELECT c.province_code, c.district_code, c.zone_id, c.inside_zone AS inside,
          c.has_dormitory, c.workplace_map_level AS w_level, c.dormitory_map_level AS d_level,
          c.inspected, c.inspected_unsafe_since AS unsafe_since, c.facilities
        FROM facility_class_counts c WHERE \(places) AND c.facilities <> 0) b
      WHERE \(conditions)
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
      """
    )
    var counts = try await classes(sql, on: connection)

    var expired = ReportSQL()
    let time = expired.bind(instant.date) + "::timestamptz"
    let base = FacilityFacts.base(
      scope,
      at: instant,
      time: time,
      filter: "least(s.workplace_valid_until,"
        + " CASE WHEN s.has_dormitory THEN s.dormitory_valid_until END) < \(time)",
      sql: &expired
    )
    let due = dueExpression(graces, time: time, sql: &expired)
    let expiredConditions = predicate.map { $0(&expired) } ?? "true"
    expired.append(
      """
      SELECT \(classColumns(key: key, due: due))
      FROM (\(base)) b
      WHERE \(expiredConditions)
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
      """
    )
    for moved in try await classes(expired, on: connection) {
      var counted = moved
      counted.facilityClass.workplaceOverdue = false
      counted.facilityClass.dormitoryOverdue = false
      counted.count = -moved.count
      counts.append(counted)
      counts.append(moved)
    }
    return counts
  }

  /// The select list of a class statement over ``FacilityFacts/base`` `b`: the key, the
  /// class's seven columns (overdue judged against `due`) and the count.
  private static func classColumns(key: String, due: String) -> String {
    """
    \(key), b.has_dormitory, b.w_level, b.d_level,
      coalesce(b.w_until < \(due), false), coalesce(b.d_until < \(due), false),
      b.i_at IS NOT NULL,
      coalesce(b.i_level = 'UNSAFE'
        AND b.i_at > GREATEST(b.w_at, CASE WHEN b.has_dormitory THEN b.d_at END), false),
      count(*)::int8
    """
  }

  /// A row of a class statement, in the order of ``classColumns(key:due:)`` (the counters'
  /// statement selects the same list): key, dormitory, workplace level, dormitory level,
  /// workplace overdue, dormitory overdue, inspected, inspected unsafe since, count.
  private typealias ClassRow = (
    String?, Bool, String?, String?, Bool, Bool, Bool, Bool, Int64
  )

  /// Decodes the rows of a class statement: key, the class's seven columns, the count.
  private static func classes(_ sql: ReportSQL, on connection: PostgresConnection)
    async throws -> [Count]
  {
    var counts: [Count] = []
    let rows = try await connection.query(sql.query, logger: connection.logger)
    for try await row in rows.decode(ClassRow.self) {
      let (key, hasDormitory, workplace, dormitory, workplaceOverdue, dormitoryOverdue) =
        (row.0, row.1, row.2, row.3, row.4, row.5)
      counts.append(
        Count(
          key: key ?? "",
          facilityClass: FacilityClass(
            hasDormitory: hasDormitory,
            workplace: workplace.flatMap(MapLevel.init(rawValue:)),
            workplaceOverdue: workplaceOverdue,
            dormitory: dormitory.flatMap(MapLevel.init(rawValue:)),
            dormitoryOverdue: dormitoryOverdue,
            inspected: row.6,
            inspectedUnsafeSince: row.7
          ),
          count: Int(row.8)
        )
      )
    }
    return counts
  }

  /// Summary counts per key: every facility of `all`, those of `stopped` moved to "stopped".
  static func summaries(_ all: [Count], stopped: [Count]) -> [String: SummaryCounts] {
    var result: [String: SummaryCounts] = [:]
    for (counts, sign) in [(all, 1), (stopped, -1)] {
      for entry in counts {
        let c = entry.facilityClass
        result[entry.key, default: SummaryCounts()].add(
          active: true,
          level: c.level.rawValue,
          inspected: c.inspected,
          mismatch: c.mismatch,
          count: sign * entry.count
        )
        if sign < 0 {
          result[entry.key, default: SummaryCounts()].add(
            active: false,
            level: "",
            inspected: false,
            mismatch: false,
            count: entry.count
          )
        }
      }
    }
    return result
  }

  /// Grace days of the provinces that set any (most keep the default of none).
  static func graceDays(_ scope: ReportScope, on connection: PostgresConnection) async throws
    -> [String: Int]
  {
    var sql = ReportSQL()
    let provinces = FacilityFacts.scopePredicate(
      ReportScope(province: scope.province),
      alias: "p",
      sql: &sql
    )
    sql.append(
      """
      SELECT p.province_code, p.overdue_grace_days::int8 FROM province_settings p
      WHERE \(provinces) AND p.overdue_grace_days > 0
      """
    )
    var graces: [String: Int] = [:]
    for try await (province, days) in try await connection.query(
      sql.query,
      logger: connection.logger
    ).decode((String, Int64).self) {
      graces[province] = Int(days)
    }
    return graces
  }

  /// The instant before which a result is overdue, per province: `time` less its grace.
  static func dueExpression(_ graces: [String: Int], time: String, sql: inout ReportSQL)
    -> String
  {
    guard !graces.isEmpty else { return time }
    let cases = graces.sorted { $0.key < $1.key }.map { province, days in
      "WHEN \(sql.bind(province)) THEN \(time) - make_interval(days => \(sql.bind(days))::int)"
    }
    return "(CASE b.province_code \(cases.joined(separator: " ")) ELSE \(time) END)"
  }
}
