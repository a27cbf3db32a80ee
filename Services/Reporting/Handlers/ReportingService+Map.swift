import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapContract
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

extension ReportingService {
  static let defaultMapPoints = 5_000
  static let maximumMapPoints = 20_000

  /// Active facilities with a location inside the box (the whole province when unset), now,
  /// ordered by facility id and cut at `max_points`; and, for every district with a facility in
  /// the box, the district's counts per level (all of its facilities in the caller's scope, so
  /// the legend does not change while the map is panned inside one district).
  public func getMapLayer(
    request: Safemap_Reporting_V1_GetMapLayerRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetMapLayerResponse {
    let principal = try RequestPrincipal.require()
    let scope = try Self.scope(principal, province: request.provinceCode)
    var violations = FieldViolations()
    violations.require(
      (0...Self.maximumMapPoints).contains(Int(request.maxPoints)),
      "max_points",
      "between 0 (default \(Self.defaultMapPoints)) and \(Self.maximumMapPoints)"
    )
    let box = request.hasBoundingBox ? request.boundingBox : nil
    if let box {
      let (low, high) = (box.low, box.high)
      violations.require(
        (-90...90).contains(low.latitude) && (-90...90).contains(high.latitude),
        "bounding_box",
        "latitudes lie between -90 and 90"
      )
      violations.require(
        (-180...180).contains(low.longitude) && (-180...180).contains(high.longitude),
        "bounding_box",
        "longitudes lie between -180 and 180"
      )
      violations.require(
        low.latitude <= high.latitude && low.longitude <= high.longitude,
        "bounding_box.low",
        "must be south-west of bounding_box.high"
      )
    }
    let levels = FacilityStanding.Level.sqlNames(
      request.mapLevels,
      field: "map_levels",
      violations: &violations
    )
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    let limit = request.maxPoints == 0 ? Self.defaultMapPoints : Int(request.maxPoints)
    let instant = ReportInstant.now(Date())
    let tenant = try Self.tenant(scope)
    let area = MapArea(box: box)
    // The legend and the points are independent reads of "now": on connections of their own
    // at once (the points are most of a map's time).
    async let legend = database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection in
      try await Self.districtCounts(scope, area, at: instant, on: connection)
    }
    var response = try await mapPoints(
      scope,
      area,
      levels: levels,
      limit: limit,
      at: instant,
      tenant: tenant,
      cancellation: context.cancellation
    )
    response.districtCounts = try await legend
    return response
  }

  /// Active facilities in the area at the chosen levels; past `limit` (`truncated`), the first
  /// `limit` by facility id, an even sample of the area rather than its southern edge.
  ///
  /// A box's two halves (``MapArea/halves()``, disjoint latitude bands) are read at once on two
  /// connections: PostgreSQL gives one statement one core. Most layers are not cut, and their
  /// points need no order: they are read unsorted (a sort was a fifth of the statement). Only a
  /// layer found to be longer than `limit` is read again, whole and in facility order. The
  /// points come as one text (``MapPointText``).
  private func mapPoints(
    _ scope: ReportScope,
    _ area: MapArea,
    levels: [String],
    limit: Int,
    at instant: ReportInstant,
    tenant: Tenant,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws -> Safemap_Reporting_V1_GetMapLayerResponse {
    let database = database
    var response = Safemap_Reporting_V1_GetMapLayerResponse()
    try await withThrowingTaskGroup(of: Safemap_Reporting_V1_GetMapLayerResponse.self) { group in
      for part in area.halves() {
        group.addTask {
          try await database.withTenantTransaction(tenant, cancellation: cancellation) {
            try await Self.mapPoints(
              scope,
              part,
              levels: levels,
              limit: limit,
              ordered: false,
              at: instant,
              on: $0
            )
          }
        }
      }
      for try await part in group {
        response.points += part.points
        response.truncated = response.truncated || part.truncated
      }
    }
    guard response.truncated || response.points.count > limit else { return response }
    return try await database.withTenantTransaction(tenant, cancellation: cancellation) {
      try await Self.mapPoints(
        scope,
        area,
        levels: levels,
        limit: limit,
        ordered: true,
        at: instant,
        on: $0
      )
    }
  }

  /// One read of the points: at most `limit`, `truncated` when there were more.
  private static func mapPoints(
    _ scope: ReportScope,
    _ area: MapArea,
    levels: [String],
    limit: Int,
    ordered: Bool,
    at instant: ReportInstant,
    on connection: PostgresConnection
  ) async throws -> Safemap_Reporting_V1_GetMapLayerResponse {
    var sql = ReportSQL()
    let facts = FacilityFacts.subquery(
      scope,
      at: instant,
      extraColumns: ["name", "latitude", "longitude"],
      filter: area.predicate(&sql),
      sql: &sql
    )
    let levelFilter = levels.isEmpty ? "true" : "facts.level = ANY(\(sql.bind(levels))::text[])"
    sql.append(
      """
      SELECT count(*)::int8, coalesce(string_agg(\(MapPointText.record), ''), '')
      FROM (SELECT facts.facility_id, coalesce(facts.name, '') AS name, facts.latitude,
          facts.longitude, facts.level
        FROM \(facts) facts WHERE facts.active AND \(levelFilter)
        \(ordered ? "ORDER BY facts.facility_id" : "") LIMIT \(sql.bind(limit + 1))) p
      """
    )
    var response = Safemap_Reporting_V1_GetMapLayerResponse()
    let rows = try await connection.query(sql.query, logger: connection.logger)
    for try await (count, text) in rows.decode((Int64, ByteBuffer).self) {
      response.points = try MapPointText.points(text, count: Int(count), limit: limit)
      response.truncated = count > limit
    }
    return response
  }

  /// Every district with a facility in the area, counted whole (``FacilityClasses``) in the
  /// caller's scope, so the legend does not change while the map is panned inside a district.
  static func districtCounts(
    _ scope: ReportScope,
    _ area: MapArea,
    at instant: ReportInstant,
    on connection: PostgresConnection
  ) async throws -> [Safemap_Reporting_V1_LevelCounts] {
    var sql = ReportSQL()
    let provinceCode = sql.bind(scope.province ?? "")
    let narrowed = ReportScope(province: nil, district: scope.district, zone: scope.zone)
    let inScope = FacilityFacts.scopePredicate(narrowed, alias: "s", sql: &sql)
    let time = sql.bind(instant.date)
    // Each district asks `facility_status_map_district_idx` for one facility in the area.
    let districtCode = scope.district.isEmpty ? "" : "AND d.code = \(sql.bind(scope.district))"
    sql.append(
      """
      SELECT d.code FROM districts d
      WHERE d.province_code = \(provinceCode) \(districtCode)
        AND EXISTS (SELECT 1 FROM facility_status s
          WHERE s.province_code = \(provinceCode) AND s.district_code = d.code AND \(inScope)
            AND s.issued_at <= \(time) AND \(area.predicate(&sql)))
      """
    )
    var touched: [String] = []
    for try await district in try await connection.query(sql.query, logger: connection.logger)
      .decode(String.self)
    {
      touched.append(district)
    }
    guard !touched.isEmpty else { return [] }
    let (all, stopped) = try await FacilityClasses.count(
      scope,
      at: instant,
      key: "b.district_code",
      predicate: { sql in "b.district_code = ANY(\(sql.bind(touched))::text[])" },
      fewFacilities: true,
      on: connection
    )
    let counts = FacilityClasses.summaries(all, stopped: stopped)
    let names = try await groups(scope, at: instant, by: .district, on: connection)
    let name = Dictionary(names.map { ($0.key, $0.name) }, uniquingKeysWith: { a, _ in a })
    return touched.sorted().map { district in
      let c = counts[district] ?? SummaryCounts()
      return .with {
        $0.districtCode = district
        $0.districtName = name[district] ?? ""
        $0.safe = Int32(c.safe)
        $0.atRisk = Int32(c.atRisk)
        $0.unsafe = Int32(c.unsafe)
        $0.notAssessed = Int32(c.neverAssessed)
        $0.overdue = Int32(c.overdue)
      }
    }
  }
}

/// The part of the province a map layer shows: a box, or every located facility.
struct MapArea: Sendable {
  var box: Safemap_Reporting_V1_BoundingBox?
  /// The box's latitude bands (migration 0011) read; nil: the box is read by latitude alone.
  var bands: ClosedRange<Int>?

  init(box: Safemap_Reporting_V1_BoundingBox?) {
    self.box = box
    bands = box.flatMap { Self.bands($0.low.latitude, $0.high.latitude) }
  }

  /// Boxes taller than this many bands (10°) are read by latitude alone.
  static let maximumBands = 1_000

  /// The condition over `facility_status s`. A box names its latitude bands so that the index
  /// reads one short range per band, not the province's whole width.
  func predicate(_ sql: inout ReportSQL) -> String {
    guard let box else { return "s.latitude IS NOT NULL" }
    var inBands = ""
    if let bands {
      inBands = "s.latitude_band = ANY(\(sql.bind(bands.map { Int32($0) }))::int4[]) AND "
    }
    let (low, high) = (box.low, box.high)
    return """
      \(inBands)s.latitude BETWEEN \(sql.bind(low.latitude)) AND \(sql.bind(high.latitude))
      AND s.longitude BETWEEN \(sql.bind(low.longitude)) AND \(sql.bind(high.longitude))
      """
  }

  /// The box as two boxes of disjoint bands, south and north, that PostgreSQL can read at
  /// once; the area itself when it is not a box of two bands or more.
  func halves() -> [MapArea] {
    guard let bands, bands.count >= 2 else { return [self] }
    let middle = bands.lowerBound + bands.count / 2
    var (south, north) = (self, self)
    south.bands = bands.lowerBound...(middle - 1)
    north.bands = middle...bands.upperBound
    return [south, north]
  }

  /// The bands (`floor(latitude * 100)`, as the generated column computes them) of the
  /// latitudes from `low` to `high`; nil past ``maximumBands``.
  static func bands(_ low: Double, _ high: Double) -> ClosedRange<Int>? {
    let first = Int((low * 100).rounded(.down))
    let last = Int((high * 100).rounded(.down))
    guard first <= last, last - first < maximumBands else { return nil }
    return first...last
  }
}
