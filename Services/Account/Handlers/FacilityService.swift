import Foundation
public import GRPCCore
import PostgresNIO
public import SafeMapAPI
import SafeMapAuth
import SafeMapContract
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

/// `safemap.account.v1.FacilityService`: the facility registry, zones, reference data and the
/// audit log; bulk issuance is in `FacilityService+Issuance.swift`.
public struct FacilityService: Safemap_Account_V1_FacilityService.SimpleServiceProtocol {
  public let context: AccountContext

  public init(context: AccountContext) {
    self.context = context
  }

  var database: Database { context.database }

  /// The tenant for a single object: another province is NOT_FOUND, so ids do not leak.
  static func objectTenant(_ principal: Principal, _ province: String, what: String) throws
    -> Tenant
  {
    if case .otherProvince = principal.resolveProvince(requested: province) {
      throw RPCError(code: .notFound, message: "\(what): no such object")
    }
    return try principal.tenant(forRequested: province)
  }

  public func registerFacility(
    request: Safemap_Account_V1_RegisterFacilityRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_RegisterFacilityResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.facility.provinceCode) {
      try FacilityScope.requireAdministrator(principal)
      let tenant = try principal.tenant(
        forRequested: request.facility.provinceCode,
        field: "facility.province_code"
      )
      let facility = request.facility
      let violations = FacilityInput.violations(facility, prefix: "facility.")
      guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
      let requestID = request.requestID.isEmpty ? nil : request.requestID
      let record = try await mutation.commit(in: tenant) {
        connection -> Audited<FacilityRecord> in
        if let requestID {
          let rows = try await connection.query(
            """
            \(unescaped: FacilityRecord.select)
            WHERE f.province_code = \(tenant.code) AND f.request_id = \(requestID)
            """,
            logger: connection.logger
          )
          for try await row in rows { return .unchanged(try FacilityRecord(row: row)) }
        }
        let reference = try await FacilityInput.referenceViolations(
          facility,
          province: tenant.code,
          prefix: "facility.",
          on: connection
        )
        guard reference.isEmpty else { throw RPCError.invalidArgument(reference) }
        if try await FacilityRecord.find(
          taxCode: facility.taxCode,
          province: tenant.code,
          on: connection
        ) != nil {
          throw RPCError(
            code: .alreadyExists,
            message:
              "facility.tax_code: a facility with tax code \(facility.taxCode) is already registered in the province"
          )
        }
        let id = try await FacilityRecord.insert(
          facility,
          province: tenant.code,
          requestID: requestID,
          registeredBy: UUID(uuidString: principal.accountID),
          reason: "registered",
          on: connection
        )
        return .changed(
          try await FacilityRecord.written(id, province: tenant.code, on: connection),
          target: "facility",
          id: id.uuidString.lowercased(),
          detail: facility.taxCode
        )
      }
      return .with { $0.facility = record.message }
    }
  }

  public func getFacility(
    request: Safemap_Account_V1_GetFacilityRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_GetFacilityResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try Self.objectTenant(principal, request.provinceCode, what: "facility_id")
    guard let id = UUID(uuidString: request.facilityID) else {
      throw RPCError(code: .invalidArgument, message: "facility_id: not a valid id")
    }
    let (record, history) = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection in
      let record = try await FacilityRecord.find(id, province: tenant.code, on: connection)
      var history: [Safemap_Account_V1_OperatingStatusChange] = []
      let rows = try await connection.query(
        """
        SELECT status, reason, effective_date::text, changed_by, changed_at
        FROM operating_status_changes WHERE province_code = \(tenant.code) AND facility_id = \(id)
        ORDER BY changed_at DESC
        """,
        logger: connection.logger
      )
      for try await (status, reason, date, by, at) in rows.decode(
        (String, String, String, UUID?, Date).self
      ) {
        history.append(
          .with {
            $0.status = OperatingStatus.message(sql: status)
            $0.reason = reason
            $0.effectiveDate = Self.date(date)
            $0.changedByAccountID = by?.uuidString.lowercased() ?? ""
            $0.changeTime = Google_Protobuf_Timestamp(date: at)
          }
        )
      }
      return (record, history)
    }
    guard let record, FacilityScope.canRead(principal, record.message) else {
      throw RPCError(code: .notFound, message: "facility_id: no such facility")
    }
    return .with {
      $0.facility = record.message
      $0.operatingStatusHistory = history
    }
  }

  static func date(_ iso: String) -> Safemap_Common_V1_Date {
    let parts = iso.split(separator: "-").compactMap { Int32($0) }
    return .with {
      if parts.count == 3 { $0.year = parts[0]; $0.month = parts[1]; $0.day = parts[2] }
    }
  }

  /// Fields a facility account may change about itself.
  static let facilityEditable: Set<String> = ["contact_phone", "contact_email", "location"]
  /// Fields officers may change; the tax code is the facility's identity and never changes.
  static let officerEditable: Set<String> = [
    "name", "address", "district_code", "zone_id", "sector", "worker_count", "workshop_area_m2",
    "has_dormitory", "dormitory_residents", "contact_phone", "contact_email", "location",
  ]

  public func updateFacility(
    request: Safemap_Account_V1_UpdateFacilityRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_UpdateFacilityResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.facility.provinceCode) {
      let paths = request.updateMask.paths
      guard !paths.isEmpty else {
        throw RPCError(code: .invalidArgument, message: "update_mask: name at least one field")
      }
      var violations = FieldViolations()
      for path in paths where !Self.officerEditable.contains(path) {
        violations.add("update_mask", "\(path) cannot be updated")
      }
      guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
      switch principal.role {
      case .ministryAdmin, .provinceOfficer: break
      case .facility:
        for path in paths where !Self.facilityEditable.contains(path) {
          throw RPCError(
            code: .permissionDenied,
            message:
              "update_mask: a facility may change only contact_phone, contact_email and location, not \(path)"
          )
        }
      default:
        throw RPCError(code: .permissionDenied, message: "read-only role")
      }
      let tenant = try Self.objectTenant(
        principal,
        request.facility.provinceCode,
        what: "facility.facility_id"
      )
      guard let id = UUID(uuidString: request.facility.facilityID) else {
        throw RPCError(code: .invalidArgument, message: "facility.facility_id: not a valid id")
      }
      let changes = request.facility
      let record = try await mutation.commit(in: tenant) {
        connection -> Audited<FacilityRecord> in
        guard
          let current = try await FacilityRecord.find(id, province: tenant.code, on: connection),
          FacilityScope.canRead(principal, current.message)
        else { throw RPCError(code: .notFound, message: "facility.facility_id: no such facility") }
        var merged = current.message
        for path in paths {
          switch path {
          case "name": merged.name = changes.name
          case "address": merged.address = changes.address
          case "district_code": merged.districtCode = changes.districtCode
          case "zone_id": merged.zoneID = changes.zoneID
          case "sector": merged.sector = changes.sector
          case "worker_count": merged.workerCount = changes.workerCount
          case "workshop_area_m2": merged.workshopAreaM2 = changes.workshopAreaM2
          case "has_dormitory": merged.hasDormitory_p = changes.hasDormitory_p
          case "dormitory_residents": merged.dormitoryResidents = changes.dormitoryResidents
          case "contact_phone": merged.contactPhone = changes.contactPhone
          case "contact_email": merged.contactEmail = changes.contactEmail
          case "location":
            if changes.hasLocation {
              merged.location = changes.location
            } else {
              merged.clearLocation()
            }
          default: break
          }
        }
        var problems = FacilityInput.violations(merged, prefix: "facility.")
        if problems.isEmpty {
          problems = try await FacilityInput.referenceViolations(
            merged,
            province: tenant.code,
            prefix: "facility.",
            on: connection
          )
        }
        guard problems.isEmpty else { throw RPCError.invalidArgument(problems) }
        let lat: Double? = merged.hasLocation ? merged.location.latitude : nil
        let lon: Double? = merged.hasLocation ? merged.location.longitude : nil
        try await connection.query(
          """
          UPDATE facilities SET name = \(merged.name), address = \(merged.address),
            district_code = \(merged.districtCode), zone_id = \(UUID(uuidString: merged.zoneID)),
            sector = \(merged.sector), worker_count = \(Int(merged.workerCount)),
            workshop_area_m2 = \(merged.workshopAreaM2), has_dormitory = \(merged.hasDormitory_p),
            dormitory_residents = \(Int(merged.dormitoryResidents)),
            contact_phone = \(merged.contactPhone), contact_email = \(merged.contactEmail),
            latitude = \(lat), longitude = \(lon),
            search_text = \(SearchText.fold(merged.name + " " + merged.taxCode)), updated_at = now()
          WHERE province_code = \(tenant.code) AND facility_id = \(id)
          """,
          logger: connection.logger
        )
        return .changed(
          try await FacilityRecord.written(id, province: tenant.code, on: connection),
          target: "facility",
          id: id.uuidString.lowercased(),
          detail: paths.joined(separator: ",")
        )
      }
      return .with { $0.facility = record.message }
    }
  }

  public func listFacilities(
    request: Safemap_Account_V1_ListFacilitiesRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListFacilitiesResponse {
    let principal = try RequestPrincipal.require()
    guard principal.role != .facility else {
      throw RPCError(
        code: .permissionDenied,
        message: "facilities read their own record with GetFacility"
      )
    }
    let tenant = try principal.tenant(forRequested: request.provinceCode)
    // By name, then id; the token holds the last facility's id (a name can be longer than a
    // token may be), and the page starts after that facility's name and id.
    let page = try Paging.Page<UUID>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let after = page.after
    var violations = FieldViolations()
    var zone = request.zoneID.isEmpty ? nil : UUID(uuidString: request.zoneID)
    violations.require(request.zoneID.isEmpty || zone != nil, "zone_id", "not a valid id")
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    // District and zone officers see their own district or zone, whatever they ask for.
    let narrowed = AccessPolicy.narrow(
      principal,
      district: request.districtCode,
      zone: zone?.uuidString ?? ""
    )
    if !narrowed.zone.isEmpty { zone = UUID(uuidString: narrowed.zone) }
    let district = narrowed.district.isEmpty ? nil : narrowed.district
    let zoneFilter = zone
    let status = OperatingStatus(request.operatingStatus)?.sql
    let inside: Bool? =
      switch request.zoneLocation {
      case .insideIndustrialZone: true
      case .outsideIndustrialZone: false
      default: nil
      }
    let query = SearchText.containsPattern(SearchText.fold(request.query))
    let (records, total) = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection in
      var records: [FacilityRecord] = []
      let rows = try await connection.query(
        """
        \(unescaped: FacilityRecord.select)
        WHERE f.province_code = \(tenant.code)
          AND (\(district)::text IS NULL OR f.district_code = \(district))
          AND (\(zoneFilter)::uuid IS NULL OR f.zone_id = \(zoneFilter))
          AND (\(status)::text IS NULL OR f.operating_status = \(status))
          AND (\(inside)::bool IS NULL OR
               coalesce(z.zone_type IN ('INDUSTRIAL_ZONE', 'ECONOMIC_ZONE'), false) = \(inside))
          AND f.search_text LIKE \(query)
          AND (\(after)::uuid IS NULL OR (f.name, f.facility_id::text) >
            (SELECT name, facility_id::text FROM facilities
             WHERE province_code = \(tenant.code) AND facility_id = \(after)))
        ORDER BY f.name, f.facility_id::text LIMIT \(page.size)
        """,
        logger: connection.logger
      )
      for try await row in rows { records.append(try FacilityRecord(row: row)) }
      let counted = try await connection.query(
        """
        SELECT count(*)::int FROM facilities f
        LEFT JOIN zones z ON z.province_code = f.province_code AND z.zone_id = f.zone_id
        WHERE f.province_code = \(tenant.code)
          AND (\(district)::text IS NULL OR f.district_code = \(district))
          AND (\(zoneFilter)::uuid IS NULL OR f.zone_id = \(zoneFilter))
          AND (\(status)::text IS NULL OR f.operating_status = \(status))
          AND (\(inside)::bool IS NULL OR
               coalesce(z.zone_type IN ('INDUSTRIAL_ZONE', 'ECONOMIC_ZONE'), false) = \(inside))
          AND f.search_text LIKE \(query)
        """,
        logger: connection.logger
      )
      var total = 0
      for try await n in counted.decode(Int.self) { total = n }
      return (records, total)
    }
    return .with {
      $0.facilities = records.map(\.message)
      $0.totalSize = Int32(total)
      $0.nextPageToken = page.nextToken(
        after: records.last.flatMap { UUID(uuidString: $0.message.facilityID) },
        count: records.count
      )
    }
  }

  public func setOperatingStatus(
    request: Safemap_Account_V1_SetOperatingStatusRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_SetOperatingStatusResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.provinceCode) {
      try FacilityScope.requireAdministrator(principal)
      let tenant = try Self.objectTenant(principal, request.provinceCode, what: "facility_id")
      var violations = FieldViolations()
      let id = UUID(uuidString: request.facilityID)
      violations.require(id != nil, "facility_id", "not a valid id")
      let status = OperatingStatus(request.status)?.sql
      violations.require(status != nil, "status", "required: ACTIVE, SUSPENDED or CLOSED")
      violations.require(
        status == "ACTIVE" || !request.reason.trimmingCharacters(in: .whitespaces).isEmpty,
        "reason",
        "required when suspending or closing"
      )
      var effectiveText: String? = nil
      if request.hasEffectiveDate {
        let d = request.effectiveDate
        effectiveText = String(format: "%04d-%02d-%02d", d.year, d.month, d.day)
        var components = DateComponents()
        (components.year, components.month, components.day) = (
          Int(d.year), Int(d.month), Int(d.day)
        )
        violations.require(
          Calendar(identifier: .gregorian).date(from: components) != nil
            && (1...12).contains(d.month)
            && (1...31).contains(d.day) && d.year >= 2000,
          "effective_date",
          "not a valid date"
        )
      }
      guard violations.isEmpty, let id, let status else {
        throw RPCError.invalidArgument(violations)
      }
      let effective = effectiveText
      let reason = String(request.reason.prefix(500))
      let (record, change) = try await mutation.commit(in: tenant) { connection in
        guard try await FacilityRecord.find(id, province: tenant.code, on: connection) != nil else {
          throw RPCError(code: .notFound, message: "facility_id: no such facility")
        }
        let rows = try await connection.query(
          """
          INSERT INTO operating_status_changes (province_code, facility_id, status, reason,
            effective_date, changed_by)
          VALUES (\(tenant.code), \(id), \(status), \(reason),
            coalesce(\(effective)::date, (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date),
            \(UUID(uuidString: principal.accountID)))
          RETURNING effective_date::text, changed_at
          """,
          logger: connection.logger
        )
        var change = Safemap_Account_V1_OperatingStatusChange()
        for try await (date, at) in rows.decode((String, Date).self) {
          change = .with {
            $0.status = request.status
            $0.reason = reason
            $0.effectiveDate = Self.date(date)
            $0.changedByAccountID = principal.accountID
            $0.changeTime = Google_Protobuf_Timestamp(date: at)
          }
        }
        try await connection.query(
          """
          UPDATE facilities SET operating_status = \(status), updated_at = now()
          WHERE province_code = \(tenant.code) AND facility_id = \(id)
          """,
          logger: connection.logger
        )
        return .changed(
          (try await FacilityRecord.written(id, province: tenant.code, on: connection), change),
          target: "facility",
          id: id.uuidString.lowercased(),
          detail: "\(status): \(reason)"
        )
      }
      return .with {
        $0.facility = record.message
        $0.change = change
      }
    }
  }
}
