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
    var levels: [String] = []
    for (index, level) in request.mapLevels.enumerated() {
      guard let name = MapLevelName.sql(level) else {
        violations.add("map_levels[\(index)]", "unknown level")
        continue
      }
      levels.append(name)
    }
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    let limit = request.maxPoints == 0 ? Self.defaultMapPoints : Int(request.maxPoints)
    let instant = ReportInstant.now(Date())
    let chosenLevels = levels
    return try await database.withTenantTransaction(
      try Self.tenant(scope),
      cancellation: context.cancellation
    ) { connection in
      let located = { (sql: inout ReportSQL) -> String in
        guard let box else { return "s.latitude IS NOT NULL" }
        return """
          s.latitude BETWEEN \(sql.bind(box.low.latitude)) AND \(sql.bind(box.high.latitude))
          AND s.longitude BETWEEN \(sql.bind(box.low.longitude))
            AND \(sql.bind(box.high.longitude))
          """
      }
      var response = Safemap_Reporting_V1_GetMapLayerResponse()
      // The points: active facilities in the box at the chosen levels, cut past the limit;
      // names only for those returned.
      var sql = ReportSQL()
      let facts = FacilityFacts.subquery(
        scope,
        at: instant,
        extraColumns: ["latitude", "longitude"],
        filter: located(&sql),
        sql: &sql
      )
      let province = FacilityFacts.provinceReference(scope, alias: "points", sql: &sql)
      let levelFilter =
        chosenLevels.isEmpty ? "true" : "facts.level = ANY(\(sql.bind(chosenLevels))::text[])"
      sql.append(
        """
        SELECT points.facility_id::text, f.name, points.latitude, points.longitude, points.level,
          points.district_code
        FROM (SELECT * FROM \(facts) facts WHERE facts.active AND \(levelFilter)
          ORDER BY facts.facility_id LIMIT \(sql.bind(limit + 1))) points
        JOIN facilities f ON f.province_code = \(province) AND f.facility_id = points.facility_id
        ORDER BY points.facility_id
        """
      )
      for try await (id, name, latitude, longitude, level, _) in try await connection.query(
        sql.query,
        logger: connection.logger
      ).decode((String, String, Double, Double, String, String).self) {
        guard response.points.count < limit else {
          response.truncated = true
          break
        }
        response.points.append(
          .with {
            $0.facilityID = id
            $0.name = name
            $0.location = .with {
              $0.latitude = latitude
              $0.longitude = longitude
            }
            $0.mapLevel = MapLevelName.message(level)
            $0.color = MapLevelName.color(level)
          }
        )
      }
      // The districts the box touches, counted whole (``FacilityClasses``).
      var touchedSQL = ReportSQL()
      let provinceCode = touchedSQL.bind(scope.province ?? "")
      let narrowed = ReportScope(province: nil, district: scope.district, zone: scope.zone)
      let inScope = FacilityFacts.scopePredicate(narrowed, alias: "s", sql: &touchedSQL)
      let time = touchedSQL.bind(instant.date)
      touchedSQL.append(
        """
        SELECT DISTINCT s.district_code FROM facility_status s
        WHERE s.province_code = \(provinceCode) AND \(inScope) AND s.issued_at <= \(time)
          AND \(located(&touchedSQL))
        """
      )
      var touched: [String] = []
      for try await district in try await connection.query(
        touchedSQL.query,
        logger: connection.logger
      ).decode(String.self) {
        touched.append(district)
      }
      guard !touched.isEmpty else { return response }
      let (all, stopped) = try await FacilityClasses.count(
        scope,
        at: instant,
        key: "b.district_code",
        predicate: { sql in "b.district_code = ANY(\(sql.bind(touched))::text[])" },
        on: connection
      )
      let counts = FacilityClasses.summaries(all, stopped: stopped)
      let names = try await Self.groups(scope, at: instant, by: .district, on: connection)
      let name = Dictionary(names.map { ($0.key, $0.name) }, uniquingKeysWith: { a, _ in a })
      response.districtCounts = touched.sorted().map { district in
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
      return response
    }
  }
}
