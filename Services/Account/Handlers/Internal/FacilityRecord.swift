import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapContract
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
    f.zoneType = ZoneType.message(sql: try c[7].decode(String?.self))
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
    f.operatingStatus = OperatingStatus.message(sql: try c[17].decode(String.self))
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
