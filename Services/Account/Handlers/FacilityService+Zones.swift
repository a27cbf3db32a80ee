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

extension FacilityService {
  static func zoneMessage(_ row: (UUID, String, String, String, String, Date))
    -> Safemap_Account_V1_Zone
  {
    .with {
      $0.zoneID = row.0.uuidString.lowercased()
      $0.provinceCode = row.1
      $0.name = row.2
      $0.zoneType = ZoneType.message(sql: row.3)
      $0.districtCode = row.4
      $0.createTime = Google_Protobuf_Timestamp(date: row.5)
    }
  }

  public func createZone(
    request: Safemap_Account_V1_CreateZoneRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_CreateZoneResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.zone.provinceCode) {
      try FacilityScope.requireAdministrator(principal)
      let tenant = try principal.tenant(
        forRequested: request.zone.provinceCode,
        field: "zone.province_code"
      )
      let zone = request.zone
      var violations = FieldViolations()
      violations.require(
        !zone.name.trimmingCharacters(in: .whitespaces).isEmpty,
        "zone.name",
        "required"
      )
      let type = ZoneType(zone.zoneType)?.sql
      violations.require(
        type != nil,
        "zone.zone_type",
        "required: INDUSTRIAL_ZONE, ECONOMIC_ZONE or INDUSTRIAL_CLUSTER"
      )
      violations.require(
        DistrictCode.isWellFormed(zone.districtCode),
        "zone.district_code",
        "required: three digits"
      )
      guard violations.isEmpty, let type else { throw RPCError.invalidArgument(violations) }
      let requestID = request.requestID.isEmpty ? nil : request.requestID
      let created = try await mutation.commit(in: tenant) {
        connection -> Audited<Safemap_Account_V1_Zone> in
        let select =
          "SELECT zone_id, province_code, name, zone_type, district_code, created_at FROM zones"
        if let requestID {
          let rows = try await connection.query(
            "\(unescaped: select) WHERE province_code = \(tenant.code) AND request_id = \(requestID)",
            logger: connection.logger
          )
          for try await row in rows.decode((UUID, String, String, String, String, Date).self) {
            return .unchanged(Self.zoneMessage(row))
          }
        }
        try await AccountService.requireDistrict(
          zone.districtCode,
          province: tenant.code,
          on: connection
        )
        let id = UUID()
        let rows = try await connection.query(
          """
          INSERT INTO zones (province_code, zone_id, name, zone_type, district_code, request_id)
          VALUES (\(tenant.code), \(id), \(zone.name), \(type), \(zone.districtCode), \(requestID))
          ON CONFLICT (province_code, name) DO NOTHING
          RETURNING zone_id, province_code, name, zone_type, district_code, created_at
          """,
          logger: connection.logger
        )
        for try await row in rows.decode((UUID, String, String, String, String, Date).self) {
          return .changed(
            Self.zoneMessage(row),
            target: "zone",
            id: id.uuidString.lowercased(),
            detail: zone.name
          )
        }
        throw RPCError(
          code: .alreadyExists,
          message: "zone.name: a zone named \(zone.name) exists in the province"
        )
      }
      return .with { $0.zone = created }
    }
  }

  public func listZones(
    request: Safemap_Account_V1_ListZonesRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListZonesResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try principal.tenant(forRequested: request.provinceCode)
    // By name; the token holds the last zone's id (a name can be longer than a token may).
    let page = try Paging.Page<UUID>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let after = page.after
    let type = ZoneType(request.zoneType)?.sql
    let district = request.districtCode.isEmpty ? nil : request.districtCode
    let zones = try await database.withTenantTransaction(tenant, cancellation: context.cancellation)
    {
      connection in
      let rows = try await connection.query(
        """
        SELECT zone_id, province_code, name, zone_type, district_code, created_at FROM zones
        WHERE province_code = \(tenant.code)
          AND (\(after)::uuid IS NULL OR name > (SELECT name FROM zones
            WHERE province_code = \(tenant.code) AND zone_id = \(after)))
          AND (\(type)::text IS NULL OR zone_type = \(type))
          AND (\(district)::text IS NULL OR district_code = \(district))
        ORDER BY name LIMIT \(page.size)
        """,
        logger: connection.logger
      )
      var zones: [Safemap_Account_V1_Zone] = []
      for try await row in rows.decode((UUID, String, String, String, String, Date).self) {
        zones.append(Self.zoneMessage(row))
      }
      return zones
    }
    return .with {
      $0.zones = zones
      $0.nextPageToken = page.nextToken(
        after: zones.last.flatMap { UUID(uuidString: $0.zoneID) },
        count: zones.count
      )
    }
  }

  public func listProvinces(
    request: Safemap_Account_V1_ListProvincesRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListProvincesResponse {
    let page = try Paging.Page<String>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let (after, limit) = (page.after ?? "", page.size)
    let provinces = try await database.withGlobalConnection(cancellation: context.cancellation) {
      connection in
      try await ReferenceQueries.provinces(after: after, limit: limit, on: connection)
    }
    return .with {
      $0.provinces = provinces
      $0.nextPageToken = page.nextToken(after: provinces.last?.code, count: provinces.count)
    }
  }

  public func listDistricts(
    request: Safemap_Account_V1_ListDistrictsRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListDistrictsResponse {
    guard ProvinceCode.isWellFormed(request.provinceCode) else {
      throw RPCError(
        code: .invalidArgument,
        message: "province_code: must be a two-digit province code"
      )
    }
    let page = try Paging.Page<String>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let (after, limit) = (page.after ?? "", page.size)
    let province = request.provinceCode
    let districts = try await database.withGlobalConnection(cancellation: context.cancellation) {
      connection in
      guard try await ReferenceQueries.provinceExists(province, on: connection) else {
        throw RPCError(code: .notFound, message: "province_code: no province \(province)")
      }
      return try await ReferenceQueries.districts(
        of: province,
        after: after,
        limit: limit,
        on: connection
      )
    }
    return .with {
      $0.districts = districts
      $0.nextPageToken = page.nextToken(after: districts.last?.code, count: districts.count)
    }
  }
}
