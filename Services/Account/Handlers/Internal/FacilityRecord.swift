import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// One facility with its zone type and account, with the SQL that reads it.
struct FacilityRecord: Sendable {
  var message: Safemap_Account_V1_Facility

  static let select = """
    SELECT f.province_code, f.facility_id, f.name, f.tax_code, f.address, f.district_code,
      f.zone_id, z.zone_type, f.sector, f.worker_count, f.workshop_area_m2, f.has_dormitory,
      f.dormitory_residents, f.contact_phone, f.contact_email, f.latitude, f.longitude,
      f.operating_status, a.username, a.created_at, f.created_at, f.updated_at
    FROM facilities f
    LEFT JOIN zones z ON z.province_code = f.province_code AND z.zone_id = f.zone_id
    LEFT JOIN accounts a ON a.province_code = f.province_code AND a.facility_id = f.facility_id
    """

  init(row: PostgresRow) throws {
    let c = row.makeRandomAccess()
    var f = Safemap_Account_V1_Facility()
    f.provinceCode = try c[0].decode(String.self)
    f.facilityID = try c[1].decode(UUID.self).uuidString.lowercased()
    f.name = try c[2].decode(String.self)
    f.taxCode = try c[3].decode(String.self)
    f.address = try c[4].decode(String.self)
    f.districtCode = try c[5].decode(String.self)
    f.zoneID = try c[6].decode(UUID?.self)?.uuidString.lowercased() ?? ""
    f.zoneType = ZoneTypeName.message(try c[7].decode(String?.self))
    f.sector = try c[8].decode(String.self)
    f.workerCount = try c[9].decode(Int32.self)
    f.workshopAreaM2 = try c[10].decode(Double.self)
    f.hasDormitory_p = try c[11].decode(Bool.self)
    f.dormitoryResidents = try c[12].decode(Int32.self)
    f.contactPhone = try c[13].decode(String.self)
    f.contactEmail = try c[14].decode(String.self)
    if let lat = try c[15].decode(Double?.self), let lon = try c[16].decode(Double?.self) {
      f.location = .with {
        $0.latitude = lat; $0.longitude = lon
      }
    }
    f.operatingStatus = OperatingStatusName.message(try c[17].decode(String.self))
    f.username = try c[18].decode(String?.self) ?? ""
    if let issued = try c[19].decode(Date?.self) {
      f.accountIssueTime = Google_Protobuf_Timestamp(date: issued)
    }
    f.createTime = Google_Protobuf_Timestamp(date: try c[20].decode(Date.self))
    f.updateTime = Google_Protobuf_Timestamp(date: try c[21].decode(Date.self))
    self.message = f
  }

  static func find(
    _ id: UUID,
    province: String,
    on connection: PostgresConnection
  ) async throws -> FacilityRecord? {
    let rows = try await connection.query(
      "\(unescaped: select) WHERE f.province_code = \(province) AND f.facility_id = \(id)",
      logger: connection.logger
    )
    for try await row in rows { return try FacilityRecord(row: row) }
    return nil
  }

  /// The facility this transaction has just written, read back with what it joins.
  static func written(
    _ id: UUID,
    province: String,
    on connection: PostgresConnection
  ) async throws -> FacilityRecord {
    guard let record = try await find(id, province: province, on: connection) else {
      throw RPCError(code: .internalError, message: "facility \(id) missing after it was written")
    }
    return record
  }

  static func find(taxCode: String, province: String, on connection: PostgresConnection)
    async throws
    -> FacilityRecord?
  {
    let rows = try await connection.query(
      "\(unescaped: select) WHERE f.province_code = \(province) AND f.tax_code = \(taxCode)",
      logger: connection.logger
    )
    for try await row in rows { return try FacilityRecord(row: row) }
    return nil
  }

  /// Inserts a new facility from validated input, with the first entry of its operating-status
  /// history (active, `reason`); returns its id.
  static func insert(
    _ f: Safemap_Account_V1_Facility,
    province: String,
    requestID: String?,
    registeredBy: UUID?,
    reason: String,
    on connection: PostgresConnection
  ) async throws -> UUID {
    let id = UUID()
    let lat: Double? = f.hasLocation ? f.location.latitude : nil
    let lon: Double? = f.hasLocation ? f.location.longitude : nil
    try await connection.query(
      """
      INSERT INTO facilities (province_code, facility_id, name, tax_code, address, district_code,
        zone_id, sector, worker_count, workshop_area_m2, has_dormitory, dormitory_residents,
        contact_phone, contact_email, latitude, longitude, search_text, request_id)
      VALUES (\(province), \(id), \(f.name), \(f.taxCode), \(f.address), \(f.districtCode),
        \(UUID(uuidString: f.zoneID)), \(f.sector), \(Int(f.workerCount)), \(f.workshopAreaM2),
        \(f.hasDormitory_p), \(Int(f.dormitoryResidents)), \(f.contactPhone), \(f.contactEmail),
        \(lat), \(lon), \(SearchText.fold(f.name + " " + f.taxCode)), \(requestID))
      """,
      logger: connection.logger
    )
    try await connection.query(
      """
      INSERT INTO operating_status_changes (province_code, facility_id, status, reason,
        effective_date, changed_by)
      VALUES (\(province), \(id), 'ACTIVE', \(reason),
        (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, \(registeredBy))
      """,
      logger: connection.logger
    )
    return id
  }
}

enum ZoneTypeName {
  static func message(_ name: String?) -> Safemap_Common_V1_ZoneType {
    switch name {
    case "INDUSTRIAL_ZONE": return .industrialZone
    case "ECONOMIC_ZONE": return .economicZone
    case "INDUSTRIAL_CLUSTER": return .industrialCluster
    default: return .unspecified
    }
  }

  static func sql(_ type: Safemap_Common_V1_ZoneType) -> String? {
    switch type {
    case .industrialZone: return "INDUSTRIAL_ZONE"
    case .economicZone: return "ECONOMIC_ZONE"
    case .industrialCluster: return "INDUSTRIAL_CLUSTER"
    default: return nil
    }
  }
}

enum OperatingStatusName {
  static func message(_ name: String) -> Safemap_Common_V1_OperatingStatus {
    switch name {
    case "ACTIVE": return .active
    case "SUSPENDED": return .suspended
    case "CLOSED": return .closed
    default: return .unspecified
    }
  }

  static func sql(_ status: Safemap_Common_V1_OperatingStatus) -> String? {
    switch status {
    case .active: return "ACTIVE"
    case .suspended: return "SUSPENDED"
    case .closed: return "CLOSED"
    default: return nil
    }
  }
}

/// Checks of facility input, named under `prefix` (`facility.` or `rows[3].facility.`).
enum FacilityInput {
  /// Format rules that need no database.
  static func violations(_ f: Safemap_Account_V1_Facility, prefix: String) -> FieldViolations {
    var v = FieldViolations()
    v.require(!f.name.trimmingCharacters(in: .whitespaces).isEmpty, prefix + "name", "required")
    v.require(f.name.count <= 300, prefix + "name", "at most 300 characters")
    v.require(TaxCode.isWellFormed(f.taxCode), prefix + "tax_code", TaxCode.rule)
    v.require(
      DistrictCode.isWellFormed(f.districtCode),
      prefix + "district_code",
      "required: three digits"
    )
    v.require(
      f.zoneID.isEmpty || UUID(uuidString: f.zoneID) != nil,
      prefix + "zone_id",
      "not a valid id"
    )
    v.require(f.workerCount >= 0, prefix + "worker_count", "must not be negative")
    v.require(
      f.workshopAreaM2 >= 0 && f.workshopAreaM2.isFinite,
      prefix + "workshop_area_m2",
      "must not be negative"
    )
    v.require(f.dormitoryResidents >= 0, prefix + "dormitory_residents", "must not be negative")
    v.require(
      f.hasDormitory_p || f.dormitoryResidents == 0,
      prefix + "dormitory_residents",
      "must be 0 without a dormitory"
    )
    v.require(
      f.contactPhone.isEmpty || Contact.isPhone(f.contactPhone),
      prefix + "contact_phone",
      "not a phone number"
    )
    v.require(
      f.contactEmail.isEmpty || Contact.isEmail(f.contactEmail),
      prefix + "contact_email",
      "not an e-mail address"
    )
    if f.hasLocation {
      v.require(
        VietnamBounds.contains(latitude: f.location.latitude, longitude: f.location.longitude),
        prefix + "location",
        "must lie inside Vietnam (latitude 8–23.5, longitude 102–117.5)"
      )
    }
    return v
  }

  /// Rules that need the province's reference data: district and zone in the province.
  static func referenceViolations(
    _ f: Safemap_Account_V1_Facility,
    province: String,
    prefix: String,
    on connection: PostgresConnection
  ) async throws -> FieldViolations {
    var v = FieldViolations()
    let districts = try await connection.query(
      "SELECT 1 FROM districts WHERE province_code = \(province) AND code = \(f.districtCode)",
      logger: connection.logger
    )
    var districtFound = false
    for try await _ in districts { districtFound = true }
    v.require(
      districtFound,
      prefix + "district_code",
      "\(f.districtCode) is not a district of province \(province)"
    )
    if let zone = UUID(uuidString: f.zoneID) {
      let zones = try await connection.query(
        "SELECT 1 FROM zones WHERE province_code = \(province) AND zone_id = \(zone)",
        logger: connection.logger
      )
      var zoneFound = false
      for try await _ in zones { zoneFound = true }
      v.require(zoneFound, prefix + "zone_id", "no such zone in province \(province)")
    }
    return v
  }
}

/// The facility checks of ``AccessPolicy`` in the shapes the handlers hold.
enum FacilityScope {
  static func canRead(_ p: Principal, _ f: Safemap_Account_V1_Facility) -> Bool {
    AccessPolicy.canRead(
      p,
      .init(
        province: f.provinceCode,
        district: f.districtCode,
        zone: f.zoneID,
        facility: f.facilityID
      )
    )
  }

  /// Registering facilities and zones, setting operating status, issuing accounts.
  static func requireAdministrator(_ p: Principal) throws {
    guard AccessPolicy.mayAdministerRegistry(p) else {
      throw RPCError(
        code: .permissionDenied,
        message: "only the ministry or a province officer may change the registry"
      )
    }
  }
}

extension FieldViolations {
  /// The violations as carried in responses (per-row issuance errors).
  var messages: [Safemap_Common_V1_FieldViolation] {
    all.map { violation in
      .with {
        $0.field = violation.field
        $0.description_p = violation.description
      }
    }
  }
}
