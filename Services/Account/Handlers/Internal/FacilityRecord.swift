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

  /// The types of `select`'s columns, in its order.
  typealias Columns = (
    String, UUID, String, String, String, String, UUID?, String?, String, Int32, Double, Bool,
    Int32, String, String, Double?, Double?, String, String?, Date?, Date, Date
  )

  init(row: PostgresRow) throws {
    let (
      province, id, name, taxCode, address, district, zoneID, zoneType, sector, workers, area,
      hasDormitory, residents, phone, email, latitude, longitude, status, username, issued,
      created, updated
    ) = try row.decode(Columns.self)
    var f = Safemap_Account_V1_Facility()
    f.provinceCode = province
    f.facilityID = id.uuidString.lowercased()
    f.name = name
    f.taxCode = taxCode
    f.address = address
    f.districtCode = district
    f.zoneID = zoneID?.uuidString.lowercased() ?? ""
    f.zoneType = ZoneType.message(sql: zoneType)
    f.sector = sector
    f.workerCount = workers
    f.workshopAreaM2 = area
    f.hasDormitory_p = hasDormitory
    f.dormitoryResidents = residents
    f.contactPhone = phone
    f.contactEmail = email
    if let latitude, let longitude {
      f.location = .with {
        $0.latitude = latitude
        $0.longitude = longitude
      }
    }
    f.operatingStatus = OperatingStatus.message(sql: status)
    f.username = username ?? ""
    if let issued { f.accountIssueTime = Google_Protobuf_Timestamp(date: issued) }
    f.createTime = Google_Protobuf_Timestamp(date: created)
    f.updateTime = Google_Protobuf_Timestamp(date: updated)
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
