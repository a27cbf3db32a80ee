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
      var sql = ReportSQL()
      let facts = FacilityFacts.subquery(
        scope,
        at: instant,
        extraColumns: ["latitude", "longitude"],
        sql: &sql
      )
      let province = FacilityFacts.provinceReference(scope, alias: "points", sql: &sql)
      var inBox = "facts.latitude IS NOT NULL"
      if let box {
        inBox = """
          facts.latitude BETWEEN \(sql.bind(box.low.latitude)) AND \(sql.bind(box.high.latitude))
          AND facts.longitude BETWEEN \(sql.bind(box.low.longitude))
            AND \(sql.bind(box.high.longitude))
          """
      }
      let levelFilter =
        chosenLevels.isEmpty ? "true" : "facts.level = ANY(\(sql.bind(chosenLevels))::text[])"
      // One pass over the facts: the points (cut past the limit) and the districts touched;
      // names only for the points returned.
      sql.append(
        """
        WITH located AS MATERIALIZED (
          SELECT facts.facility_id, facts.district_code, facts.level, facts.latitude,
            facts.longitude, \(inBox) AS in_box, \(levelFilter) AS wanted
          FROM \(facts) facts
          WHERE facts.active)
        SELECT 'P', points.facility_id::text, f.name, points.latitude, points.longitude,
          points.level, 0::int8, 0::int8, 0::int8, 0::int8, 0::int8
        FROM (SELECT * FROM located WHERE in_box AND wanted ORDER BY facility_id
          LIMIT \(sql.bind(limit + 1))) points
        JOIN facilities f ON f.province_code = \(province) AND f.facility_id = points.facility_id
        UNION ALL
        SELECT 'D', l.district_code, coalesce(d.name, ''), 0, 0, '',
          count(*) FILTER (WHERE l.level = 'SAFE'), count(*) FILTER (WHERE l.level = 'AT_RISK'),
          count(*) FILTER (WHERE l.level = 'UNSAFE'),
          count(*) FILTER (WHERE l.level = 'NOT_ASSESSED'),
          count(*) FILTER (WHERE l.level = 'OVERDUE')
        FROM located l
        LEFT JOIN districts d ON d.province_code = \(sql.bind(scope.province ?? ""))
          AND d.code = l.district_code
        WHERE l.district_code IN (SELECT district_code FROM located WHERE in_box)
        GROUP BY l.district_code, d.name
        """
      )
      var response = Safemap_Reporting_V1_GetMapLayerResponse()
      for try await row in try await connection.query(sql.query, logger: connection.logger) {
        let c = row.makeRandomAccess()
        if try c[0].decode(String.self) == "P" {
          guard response.points.count < limit else {
            response.truncated = true
            continue
          }
          let level = try c[5].decode(String.self)
          response.points.append(
            try .with {
              $0.facilityID = try c[1].decode(String.self)
              $0.name = try c[2].decode(String.self)
              $0.location = try .with {
                $0.latitude = try c[3].decode(Double.self)
                $0.longitude = try c[4].decode(Double.self)
              }
              $0.mapLevel = MapLevelName.message(level)
              $0.color = MapLevelName.color(level)
            }
          )
        } else {
          response.districtCounts.append(
            try .with {
              $0.districtCode = try c[1].decode(String.self)
              $0.districtName = try c[2].decode(String.self)
              $0.safe = Int32(try c[6].decode(Int64.self))
              $0.atRisk = Int32(try c[7].decode(Int64.self))
              $0.unsafe = Int32(try c[8].decode(Int64.self))
              $0.notAssessed = Int32(try c[9].decode(Int64.self))
              $0.overdue = Int32(try c[10].decode(Int64.self))
            }
          )
        }
      }
      response.points.sort { $0.facilityID < $1.facilityID }
      response.districtCounts.sort { $0.districtCode < $1.districtCode }
      return response
    }
  }
}
