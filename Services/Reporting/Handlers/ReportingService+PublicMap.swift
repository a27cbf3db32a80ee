import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

extension ReportingService {
  /// Points past this are cut (`truncated`); the largest province has about 60,000.
  static let maximumPublicMapPoints = 100_000

  /// The public map of a province, for anyone: no token, so the scope is the province asked
  /// for and the fields are the public ones only (``MapPointText/publicRecord``).
  ///
  /// The points are read in the two facility halves at once on two connections, next to the
  /// legend on a third: a province is tens of thousands of facilities, and PostgreSQL gives
  /// one statement one core.
  public func getPublicMap(
    request: Safemap_Reporting_V1_GetPublicMapRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetPublicMapResponse {
    var violations = FieldViolations()
    let tenant = Tenant.province(request.provinceCode)
    violations.require(tenant != nil, "province_code", "two digits, e.g. 74")
    let levels = FacilityStanding.Level.sqlNames(
      request.mapLevels,
      field: "map_levels",
      violations: &violations
    )
    guard violations.isEmpty, let tenant else { throw RPCError.invalidArgument(violations) }
    let key = PublicMapReads.Key(province: request.provinceCode, levels: levels.sorted())
    return try await publicMapReads.read(key) { [database] in
      try await Self.readPublicMap(tenant, levels: levels, database: database)
    }
  }

  /// One read of a public map, on behalf of every caller waiting for it (so no one caller's
  /// cancellation ends it).
  private static func readPublicMap(
    _ tenant: Tenant,
    levels: [String],
    database: Database
  ) async throws -> Safemap_Reporting_V1_GetPublicMapResponse {
    let scope = ReportScope(province: tenant.code)
    let now = Date()
    let instant = ReportInstant.now(now)
    let cancellation = ServerContext.RPCCancellationHandle()
    // An unknown province is refused by the tenant transaction (INVALID_ARGUMENT).
    async let legend = database.withTenantTransaction(tenant, cancellation: cancellation) {
      try await districtCounts(scope, MapArea(box: nil), at: instant, on: $0)
    }
    var response = Safemap_Reporting_V1_GetPublicMapResponse()
    try await withThrowingTaskGroup(of: (Int, [Safemap_Reporting_V1_PublicMapPoint]).self) {
      group in
      for half in FacilityHalf.allCases {
        group.addTask {
          try await database.withTenantTransaction(tenant, cancellation: cancellation) {
            try await publicPoints(scope, half, levels: levels, at: instant, on: $0)
          }
        }
      }
      var total = 0
      for try await (count, points) in group {
        total += count
        response.points += points
      }
      response.truncated = total > maximumPublicMapPoints
      if response.points.count > maximumPublicMapPoints {
        response.points.removeLast(response.points.count - maximumPublicMapPoints)
      }
    }
    response.districtCounts = try await legend
    response.asOfTime = Google_Protobuf_Timestamp(date: now)
    return response
  }

  /// The active located facilities of one half at the chosen levels, as one text.
  private static func publicPoints(
    _ scope: ReportScope,
    _ half: FacilityHalf,
    levels: [String],
    at instant: ReportInstant,
    on connection: PostgresConnection
  ) async throws -> (Int, [Safemap_Reporting_V1_PublicMapPoint]) {
    var sql = ReportSQL()
    let facts = FacilityFacts.subquery(
      scope,
      at: instant,
      extraColumns: ["name", "latitude", "longitude"],
      filter: "s.latitude IS NOT NULL AND \(half.predicate("s"))",
      sql: &sql
    )
    let levelFilter = levels.isEmpty ? "true" : "facts.level = ANY(\(sql.bind(levels))::text[])"
    let limit = sql.bind(maximumPublicMapPoints)
    sql.append(
      """
      SELECT count(*)::int8, coalesce(string_agg(\(MapPointText.publicRecord), ''), '')
      FROM (SELECT coalesce(facts.name, '') AS name, facts.latitude, facts.longitude,
          facts.level, facts.district_code, facts.last_at
        FROM \(facts) facts WHERE facts.active AND \(levelFilter) LIMIT \(limit) + 1) p
      """
    )
    let rows = try await connection.query(sql.query, logger: connection.logger)
    for try await (count, text) in rows.decode((Int64, ByteBuffer).self) {
      let limit = maximumPublicMapPoints
      return (Int(count), try MapPointText.publicPoints(text, count: Int(count), limit: limit))
    }
    return (0, [])
  }
}
