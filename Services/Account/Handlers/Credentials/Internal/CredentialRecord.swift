import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SafeMapRuntime
import SwiftProtobuf

/// A facility account on its way to the facility: `accounts` joined to `facilities`.
struct CredentialRecord: Sendable {
  var message: Safemap_Account_V1_FacilityCredential
  var status: CredentialStatus
  var place: AccessPolicy.FacilityPlace

  static let select = """
    SELECT f.facility_id, f.province_code, f.name, f.tax_code, f.address, f.district_code,
      f.zone_id, a.username, a.created_at, a.hand_out_method, a.handed_out_at, a.handed_out_by,
      a.one_time_password_expires_at, a.activated_at, \(CredentialStatus.sql) AS status
    FROM accounts a
    JOIN facilities f ON f.province_code = a.province_code AND f.facility_id = a.facility_id
    """

  init(_ row: PostgresRow) throws {
    let c = row.makeRandomAccess()
    let id = try c["facility_id"].decode(UUID.self).uuidString.lowercased()
    let province = try c["province_code"].decode(String.self)
    let district = try c["district_code"].decode(String.self)
    let zone = try c["zone_id"].decode(UUID?.self)?.uuidString.lowercased() ?? ""
    guard let status = CredentialStatus(sql: try c["status"].decode(String.self)) else {
      throw RPCError(code: .internalError, message: "facility \(id): unreadable status")
    }
    self.status = status
    place = .init(province: province, district: district, zone: zone, facility: id)
    let name = try c["name"].decode(String.self)
    let taxCode = try c["tax_code"].decode(String.self)
    let address = try c["address"].decode(String.self)
    let username = try c["username"].decode(String.self)
    let issued = try c["created_at"].decode(Date.self)
    let method = try c["hand_out_method"].decode(String?.self)
    let handedOut = try c["handed_out_at"].decode(Date?.self)
    let handedOutBy = try c["handed_out_by"].decode(UUID?.self)
    let expires = try c["one_time_password_expires_at"].decode(Date?.self)
    let activated = try c["activated_at"].decode(Date?.self)
    message = .with {
      $0.facilityID = id
      $0.name = name
      $0.taxCode = taxCode
      $0.address = address
      $0.districtCode = district
      $0.zoneID = zone
      $0.username = username
      $0.status = status.message
      $0.issueTime = Google_Protobuf_Timestamp(date: issued)
      $0.handOutMethod = HandOutMethod.message(sql: method)
      if let handedOut { $0.handOutTime = Google_Protobuf_Timestamp(date: handedOut) }
      $0.handedOutByAccountID = handedOutBy?.uuidString.lowercased() ?? ""
      if let expires, activated == nil { $0.expireTime = Google_Protobuf_Timestamp(date: expires) }
      if let activated { $0.activateTime = Google_Protobuf_Timestamp(date: activated) }
    }
  }

  /// The facility accounts with these facility ids, locked for a hand-out.
  static func find(_ ids: [UUID], province: String, on connection: PostgresConnection)
    async throws -> [UUID: CredentialRecord]
  {
    let rows = try await connection.query(
      """
      \(unescaped: select)
      WHERE a.province_code = \(province) AND a.role = 'FACILITY' AND a.facility_id = ANY(\(ids))
      ORDER BY a.facility_id FOR UPDATE OF a
      """,
      logger: connection.logger
    )
    var found: [UUID: CredentialRecord] = [:]
    for try await row in rows {
      let record = try CredentialRecord(row)
      if let id = UUID(uuidString: record.message.facilityID) { found[id] = record }
    }
    return found
  }

  /// A page of a unit's (or the province's) facility accounts by tax code.
  static func list(
    province: String,
    unit: ReportingUnit?,
    statuses: [String]?,
    after: String?,
    limit: Int,
    on connection: PostgresConnection
  ) async throws -> [CredentialRecord] {
    let district = unit?.kind == .district ? unit?.code : nil
    let zone = unit?.kind == .zone ? unit.flatMap { UUID(uuidString: $0.code) } : nil
    let rows = try await connection.query(
      """
      \(unescaped: select)
      WHERE a.province_code = \(province) AND a.role = 'FACILITY'
        AND (\(district)::text IS NULL OR f.district_code = \(district))
        AND (\(unit?.kind == .zone)::bool = false OR f.zone_id = \(zone))
        AND (\(statuses)::text[] IS NULL
          OR \(unescaped: CredentialStatus.sql) = ANY(\(statuses)::text[]))
        AND (\(after)::text IS NULL OR f.tax_code > \(after))
      ORDER BY f.tax_code LIMIT \(limit)
      """,
      logger: connection.logger
    )
    var records: [CredentialRecord] = []
    for try await row in rows { records.append(try CredentialRecord(row)) }
    return records
  }

  /// Per unit, how many facility accounts are in each status: districts, then zones.
  static func counts(province: String, on connection: PostgresConnection) async throws
    -> [(unit: ReportingUnit, message: Safemap_Account_V1_UnitCredentialCounts)]
  {
    let rows = try await connection.query(
      """
      WITH s AS (
        SELECT f.district_code, f.zone_id, \(unescaped: CredentialStatus.sql) AS status
        FROM accounts a
        JOIN facilities f ON f.province_code = a.province_code AND f.facility_id = a.facility_id
        WHERE a.province_code = \(province) AND a.role = 'FACILITY'
      ), units AS (
        SELECT 'DISTRICT' AS kind, s.district_code AS code, s.status FROM s
        UNION ALL
        SELECT 'ZONE', s.zone_id::text, s.status FROM s WHERE s.zone_id IS NOT NULL
      )
      SELECT u.kind, u.code, coalesce(d.name, z.name, u.code),
        count(*) FILTER (WHERE u.status = 'AWAITING_HAND_OUT'),
        count(*) FILTER (WHERE u.status = 'HANDED_OUT'),
        count(*) FILTER (WHERE u.status = 'ACTIVATED'),
        count(*) FILTER (WHERE u.status = 'EXPIRED')
      FROM units u
      LEFT JOIN districts d ON u.kind = 'DISTRICT' AND d.province_code = \(province)
        AND d.code = u.code
      LEFT JOIN zones z ON u.kind = 'ZONE' AND z.province_code = \(province)
        AND z.zone_id::text = u.code
      GROUP BY 1, 2, 3 ORDER BY 1, 2
      """,
      logger: connection.logger
    )
    var units: [(ReportingUnit, Safemap_Account_V1_UnitCredentialCounts)] = []
    for try await (kind, code, name, awaiting, handedOut, activated, expired) in rows.decode(
      (String, String, String, Int64, Int64, Int64, Int64).self
    ) {
      guard let kind = UnitReport.UnitKind(sql: kind) else { continue }
      let unit = ReportingUnit(kind: kind, code: code, name: name)
      units.append(
        (
          unit,
          .with {
            $0.unit = unit.message
            $0.unitName = name
            $0.awaitingHandOut = Int32(awaiting)
            $0.handedOut = Int32(handedOut)
            $0.activated = Int32(activated)
            $0.expired = Int32(expired)
          }
        )
      )
    }
    return units
  }
}
