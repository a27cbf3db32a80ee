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
    let counts = try await database.withTenantTransaction(
      try Self.tenant(scope),
      cancellation: context.cancellation
    ) { connection in
      var counts = TrendCounts(instants: instants, periodStarts: starts)
      var sql = ReportSQL()
      let first = sql.bind(periods.first)
      let last = sql.bind(periods.countingInstant(periods.count - 1, now: now))
      let facilities = FacilityFacts.scopePredicate(scope, alias: "f", sql: &sql)
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
      sql.append(
        """
        SELECT f.has_dormitory, \(microsOf("f.issued_at")),
          coalesce(ps.overdue_grace_days, 0)::int8,
          coalesce(e.times, '{}'), coalesce(e.codes, '{}'), coalesce(e.dues, '{}'),
          coalesce(s.recorded, '{}'), coalesce(s.effective, '{}'), coalesce(s.active, '{}')
        FROM facility_status f
        LEFT JOIN province_settings ps ON ps.province_code = f.province_code
        LEFT JOIN LATERAL (
          SELECT array_agg(\(microsOf("h.submitted_at")) ORDER BY h.submitted_at) AS times,
            array_agg((CASE h.kind WHEN 'DORMITORY' THEN 4 ELSE 0 END
              + \(FacilityFacts.rank("h.map_level")))::int8 ORDER BY h.submitted_at) AS codes,
            array_agg(\(microsOf("h.valid_until")) ORDER BY h.submitted_at) AS dues
          FROM (\(before("WORKPLACE")) UNION ALL \(before("DORMITORY")) UNION ALL
            SELECT x.submitted_at, x.kind, x.map_level, x.valid_until FROM assessments x
            WHERE x.province_code = \(province) AND x.facility_id = f.facility_id
              AND x.submitted_at >= \(first) AND x.submitted_at <= \(last)) h
        ) e ON true
        LEFT JOIN LATERAL (
          SELECT array_agg(\(microsOf("c.changed_at")) ORDER BY c.effective_date, c.changed_at)
              AS recorded,
            array_agg(\(microsOf(effective)) ORDER BY c.effective_date, c.changed_at) AS effective,
            array_agg(c.status = 'ACTIVE' ORDER BY c.effective_date, c.changed_at) AS active
          FROM operating_status_changes c
          WHERE c.province_code = \(province) AND c.facility_id = f.facility_id
            AND c.changed_at <= \(last)
        ) s ON true
        WHERE \(facilities) AND f.issued_at <= \(last)
        """
      )
      let rows = try await connection.query(sql.query, logger: connection.logger)
      for try await row in rows {
        let c = row.makeRandomAccess()
        let times = try c[3].decode([Int64].self)
        let codes = try c[4].decode([Int64].self)
        let dues = try c[5].decode([Int64].self)
        let recorded = try c[6].decode([Int64].self)
        let effective = try c[7].decode([Int64].self)
        let active = try c[8].decode([Bool].self)
        let levels: [MapLevel] = [.safe, .atRisk, .unsafe]
        counts.add(
          FacilityTimeline(
            issued: try c[1].decode(Int64.self),
            hasDormitory: try c[0].decode(Bool.self),
            graceDays: Int(try c[2].decode(Int64.self)),
            assessments: times.indices.map { i in
              .init(
                submitted: times[i],
                isDormitory: codes[i] >= 4,
                level: levels[Int(codes[i] % 4) - 1],
                validUntil: dues[i]
              )
            },
            statusChanges: recorded.indices.map { i in
              .init(recorded: recorded[i], effective: effective[i], active: active[i])
            }
          )
        )
      }
      return counts
    }
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
}
