import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

extension ReportingService {
  /// 2000-01-01T00:00:00Z in microseconds since 1970: PostgreSQL's epoch for binary times.
  static let postgresEpoch: Int64 = 946_684_800_000_000

  /// Counts per level at the end of each day or ISO week (Vietnam's calendar) and the
  /// submissions during it. One statement reads, per facility, the latest assessment of each
  /// kind before the first period and every one during the range; ``TrendCounts`` replays them
  /// with the rules of ``FacilityStanding``, so each point equals the summary as of its instant.
  public func getTrend(
    request: Safemap_Reporting_V1_GetTrendRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetTrendResponse {
    let principal = try RequestPrincipal.require()
    let scope = try Self.scope(
      principal,
      province: request.provinceCode,
      district: request.districtCode,
      zone: request.zoneID,
      allowNational: true
    )
    guard scope.province != nil || AccessPolicy.mayReadNationalReports(principal) else {
      throw RPCError(
        code: .permissionDenied,
        message: "province_code: national trends are for the ministry"
      )
    }
    var violations = FieldViolations()
    violations.require(request.hasStartTime, "start_time", "required")
    violations.require(request.hasEndTime, "end_time", "required")
    let interval: TrendPeriods.Interval? =
      switch request.interval {
      case .day, .unspecified: .day
      case .week: .week
      case .UNRECOGNIZED: nil
      }
    violations.require(interval != nil, "interval", "DAY or WEEK")
    guard violations.isEmpty, let interval else { throw RPCError.invalidArgument(violations) }
    let now = Date()
    guard
      let periods = TrendPeriods(
        start: request.startTime.date,
        end: request.endTime.date,
        interval: interval,
        now: now
      )
    else {
      throw RPCError(code: .invalidArgument, message: "end_time: must be after start_time")
    }
    guard periods.count <= TrendPeriods.maximumCount else {
      throw RPCError(
        code: .invalidArgument,
        message: "end_time: at most \(TrendPeriods.maximumCount) points per call"
          + " (\(periods.count) asked)"
      )
    }
    guard periods.count > 0 else { return .init() }
    let micros = { (date: Date) in Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down)) }
    let instants = (0..<periods.count).map { micros(periods.countingInstant($0, now: now)) }
    let starts = (0..<periods.count).map { micros(periods.start($0)) }
    let tenant = try Self.tenant(scope)
    let instant = periods.countingInstant(periods.count - 1, now: now)
    // Two halves of the facilities at once: the statement's per-facility lookups run on one
    // core each, and PostgreSQL does not parallelise them itself.
    @Sendable func half(_ half: FacilityHalf) async throws -> TrendCounts {
      try await database.withTenantTransaction(
        tenant,
        cancellation: context.cancellation
      ) { connection in
        try await Self.trendCounts(
          scope,
          periods,
          instants: instants,
          starts: starts,
          until: instant,
          half: half,
          on: connection
        )
      }
    }
    async let upper = half(.upper)
    var counts = try await half(.lower)
    counts.add(try await upper)
    return .with {
      $0.points = counts.points.enumerated().map { index, point in
        .with {
          $0.periodStart = Google_Protobuf_Timestamp(date: periods.start(index))
          $0.safe = Int32(point.safe)
          $0.atRisk = Int32(point.atRisk)
          $0.unsafe = Int32(point.unsafe)
          $0.overdue = Int32(point.overdue)
          $0.notAssessed = Int32(point.notAssessed)
          $0.submissions = Int32(point.submissions)
        }
      }
    }
  }

  /// The counts of one half of the scope's facilities. One statement reads, per facility, the
  /// latest assessment of each kind before the first period, every one during the range and
  /// the operating-status changes; ``TrendCounts`` replays them.
  static func trendCounts(
    _ scope: ReportScope,
    _ periods: TrendPeriods,
    instants: [Int64],
    starts: [Int64],
    until instant: Date,
    half: FacilityHalf,
    on connection: PostgresConnection
  ) async throws -> TrendCounts {
    var counts = TrendCounts(instants: instants, periodStarts: starts)
    var sql = ReportSQL()
    let first = sql.bind(periods.first)
    let last = sql.bind(instant)
    let facilities =
      FacilityFacts.scopePredicate(scope, alias: "f", sql: &sql)
      + " AND " + half.predicate("f")
    let province = FacilityFacts.provinceReference(scope, alias: "f", sql: &sql)
    let microsOf = { (column: String) in "(extract(epoch FROM \(column)) * 1000000)::int8" }
    func before(_ kind: String) -> String {
      """
      (SELECT x.submitted_at, x.kind, x.map_level, x.valid_until FROM assessments x
        WHERE x.province_code = \(province) AND x.facility_id = f.facility_id
          AND x.kind = '\(kind)' AND x.submitted_at < \(first)
        ORDER BY x.submitted_at DESC LIMIT 1)
      """
    }
    let effective = "(c.effective_date::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')"
    // Each facility's events come packed as big-endian int8 triples in one bytea per kind of
    // event: decoding six int8[] per facility through postgres-nio's generic array decoder was
    // two thirds of this report's CPU, and one aggregate sorts once. Times are sent as
    // PostgreSQL stores them (`timestamptz_send`: microseconds since 2000-01-01), which spares
    // 500,000 numeric `extract(epoch …)` for a province's daily trend.
    let triple = { (a: String, b: String, c: String) in "\(a) || \(b) || \(c)" }
    let time = { (column: String) in "timestamptz_send(\(column))" }
    sql.append(
      """
      SELECT f.has_dormitory, \(microsOf("f.issued_at")),
        coalesce(ps.overdue_grace_days, 0)::int8, e.events, s.changes
      FROM facility_status f
      LEFT JOIN province_settings ps ON ps.province_code = f.province_code
      LEFT JOIN LATERAL (
        SELECT string_agg(\(triple(
          time("h.submitted_at"),
          "int8send((CASE h.kind WHEN 'DORMITORY' THEN 4 ELSE 0 END"
            + " + \(FacilityFacts.rank("h.map_level")))::int8)",
          time("h.valid_until")
        )), ''::bytea ORDER BY h.submitted_at) AS events
        FROM (\(before("WORKPLACE")) UNION ALL \(before("DORMITORY")) UNION ALL
          SELECT x.submitted_at, x.kind, x.map_level, x.valid_until FROM assessments x
          WHERE x.province_code = \(province) AND x.facility_id = f.facility_id
            AND x.submitted_at >= \(first) AND x.submitted_at <= \(last)) h
      ) e ON true
      LEFT JOIN LATERAL (
        SELECT string_agg(\(triple(
          time("c.changed_at"),
          time(effective),
          "int8send((c.status = 'ACTIVE')::int::int8)"
        )), ''::bytea ORDER BY c.effective_date, c.changed_at) AS changes
        FROM operating_status_changes c
        WHERE f.status_changed AND c.province_code = \(province) AND c.facility_id = f.facility_id
          AND c.changed_at <= \(last)
      ) s ON true
      WHERE \(facilities) AND f.issued_at <= \(last)
      """
    )
    let levels: [MapLevel] = [.safe, .atRisk, .unsafe]
    let rows = try await connection.query(sql.query, logger: connection.logger)
    // The columns of the statement above, in order.
    let columns = (Bool, Int64, Int64, ByteBuffer?, ByteBuffer?).self
    for try await (hasDormitory, issued, graceDays, events, changes) in rows.decode(columns) {
      var assessments: [FacilityTimeline.Assessment] = []
      if var events {
        while let (submitted, code, due) = events.readMultipleIntegers(
          endianness: .big,
          as: (Int64, Int64, Int64).self
        ) {
          guard (1...3).contains(code % 4) else { throw TrendRowError.level(code) }
          assessments.append(
            .init(
              submitted: submitted + Self.postgresEpoch,
              isDormitory: code >= 4,
              level: levels[Int(code % 4) - 1],
              validUntil: due + Self.postgresEpoch
            )
          )
        }
      }
      var statusChanges: [FacilityTimeline.StatusChange] = []
      if var changes {
        while let (recorded, effective, active) = changes.readMultipleIntegers(
          endianness: .big,
          as: (Int64, Int64, Int64).self
        ) {
          statusChanges.append(
            .init(
              recorded: recorded + Self.postgresEpoch,
              effective: effective + Self.postgresEpoch,
              active: active == 1
            )
          )
        }
      }
      counts.add(
        FacilityTimeline(
          issued: issued,
          hasDormitory: hasDormitory,
          graceDays: Int(graceDays),
          assessments: assessments,
          statusChanges: statusChanges
        )
      )
    }
    return counts
  }
}

/// A trend row the statement cannot have produced.
enum TrendRowError: Error, CustomStringConvertible {
  case level(Int64)

  var description: String {
    switch self {
    case .level(let code): "trend: unknown level code \(code)"
    }
  }
}
