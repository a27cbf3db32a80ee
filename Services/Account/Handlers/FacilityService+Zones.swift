import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
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
      $0.zoneType = ZoneTypeName.message(row.3)
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
      let type = ZoneTypeName.sql(zone.zoneType)
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
    let limit = try Paging.pageSize(request.pageSize)
    let after = try Paging.afterKey(request.pageToken)
    let type = ZoneTypeName.sql(request.zoneType)
    let district = request.districtCode.isEmpty ? nil : request.districtCode
    let zones = try await database.withTenantTransaction(tenant, cancellation: context.cancellation)
    {
      connection in
      let rows = try await connection.query(
        """
        SELECT zone_id, province_code, name, zone_type, district_code, created_at FROM zones
        WHERE province_code = \(tenant.code) AND name > \(after)
          AND (\(type)::text IS NULL OR zone_type = \(type))
          AND (\(district)::text IS NULL OR district_code = \(district))
        ORDER BY name LIMIT \(limit)
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
      $0.nextPageToken = Paging.nextToken(
        lastKey: zones.last?.name,
        pageWasFull: zones.count == limit
      )
    }
  }

  public func listProvinces(
    request: Safemap_Account_V1_ListProvincesRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListProvincesResponse {
    let limit = try Paging.pageSize(request.pageSize)
    let after = try Paging.afterKey(request.pageToken)
    let provinces = try await database.withGlobalConnection(cancellation: context.cancellation) {
      connection in
      try await ReferenceQueries.provinces(after: after, limit: limit, on: connection)
    }
    return .with {
      $0.provinces = provinces
      $0.nextPageToken = Paging.nextToken(
        lastKey: provinces.last?.code,
        pageWasFull: provinces.count == limit
      )
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
    let limit = try Paging.pageSize(request.pageSize)
    let after = try Paging.afterKey(request.pageToken)
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
      $0.nextPageToken = Paging.nextToken(
        lastKey: districts.last?.code,
        pageWasFull: districts.count == limit
      )
    }
  }

  public func listAuditEvents(
    request: Safemap_Account_V1_ListAuditEventsRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListAuditEventsResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try AccountScope.listTenant(principal, requested: request.provinceCode)
    let limit = try Paging.pageSize(request.pageSize)
    let after = try Paging.afterKey(request.pageToken)
    let (afterTime, afterID) = Self.splitKey(after)
    let actor = request.actorAccountID.isEmpty ? nil : UUID(uuidString: request.actorAccountID)
    guard request.actorAccountID.isEmpty || actor != nil else {
      throw RPCError(code: .invalidArgument, message: "actor_account_id: not a valid id")
    }
    let action = request.action.isEmpty ? nil : request.action
    let target = request.targetID.isEmpty ? nil : request.targetID
    let start = request.hasStartTime ? request.startTime.date : nil
    let end = request.hasEndTime ? request.endTime.date : nil
    let cursorTime = Double(afterTime).map { Date(timeIntervalSince1970: $0) }
    let events = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) {
      connection in
      let rows = try await connection.query(
        """
        SELECT event_id, province_code, actor_account_id, actor_username, actor_role, action,
          target_type, target_id, outcome, detail, client_address, created_at
        FROM audit_events
        WHERE province_code = \(tenant.code)
          AND (\(actor)::uuid IS NULL OR actor_account_id = \(actor))
          AND (\(action)::text IS NULL OR action = \(action))
          AND (\(target)::text IS NULL OR target_id = \(target))
          AND (\(start)::timestamptz IS NULL OR created_at >= \(start))
          AND (\(end)::timestamptz IS NULL OR created_at < \(end))
          AND (\(cursorTime)::timestamptz IS NULL
               OR (created_at, event_id::text) < (\(cursorTime), \(afterID)))
        ORDER BY created_at DESC, event_id::text DESC LIMIT \(limit)
        """,
        logger: connection.logger
      )
      var events: [(Safemap_Account_V1_AuditEvent, Date)] = []
      for try await row in rows {
        let c = row.makeRandomAccess()
        let created = try c[11].decode(Date.self)
        let role = try c[4].decode(String.self)
        let outcome = try c[8].decode(String.self)
        let event = Safemap_Account_V1_AuditEvent.with {
          $0.eventID = (try? c[0].decode(UUID.self).uuidString.lowercased()) ?? ""
          $0.provinceCode = (try? c[1].decode(String.self)) ?? ""
          $0.actorAccountID = (try? c[2].decode(UUID?.self))??.uuidString.lowercased() ?? ""
          $0.actorUsername = (try? c[3].decode(String.self)) ?? ""
          $0.actorRole = Role(rawValue: role)?.message ?? .unspecified
          $0.action = (try? c[5].decode(String.self)) ?? ""
          $0.targetType = (try? c[6].decode(String.self)) ?? ""
          $0.targetID = (try? c[7].decode(String.self)) ?? ""
          $0.outcome = outcome == "SUCCESS" ? .success : outcome == "DENIED" ? .denied : .failed
          $0.detail = (try? c[9].decode(String.self)) ?? ""
          $0.clientAddress = (try? c[10].decode(String.self)) ?? ""
          $0.createTime = Google_Protobuf_Timestamp(date: created)
        }
        events.append((event, created))
      }
      return events
    }
    return .with {
      $0.events = events.map(\.0)
      $0.nextPageToken = Paging.nextToken(
        lastKey: events.last.map { "\($0.1.timeIntervalSince1970)\u{1F}\($0.0.eventID)" },
        pageWasFull: events.count == limit
      )
    }
  }
}
