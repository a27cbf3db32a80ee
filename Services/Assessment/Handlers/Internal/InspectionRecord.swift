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

enum InspectionRecord {
  static let columns = """
    inspection_id, province_code, facility_id, inspection_date::text, findings, level_found,
    inspector_name, recorded_by, created_at
    """

  static func decode(_ row: PostgresRow) throws -> Safemap_Assessment_V1_Inspection {
    let c = row.makeRandomAccess()
    let date = try c["inspection_date"].decode(String.self).split(separator: "-").compactMap {
      Int32($0)
    }
    return try .with {
      $0.inspectionID = try c["inspection_id"].decode(UUID.self).uuidString.lowercased()
      $0.provinceCode = try c["province_code"].decode(String.self)
      $0.facilityID = try c["facility_id"].decode(UUID.self).uuidString.lowercased()
      if date.count == 3 {
        $0.inspectionDate = .with { d in
          d.year = date[0]; d.month = date[1]; d.day = date[2]
        }
      }
      $0.findings = try c["findings"].decode(String.self)
      $0.levelFound =
        MapLevel(rawValue: try c["level_found"].decode(String.self))?.message ?? .unspecified
      $0.inspectorName = try c["inspector_name"].decode(String.self)
      $0.recordedByAccountID = try c["recorded_by"].decode(UUID.self).uuidString.lowercased()
      $0.createTime = Google_Protobuf_Timestamp(date: try c["created_at"].decode(Date.self))
    }
  }

  static func find(_ id: UUID, province: String, on connection: PostgresConnection)
    async throws -> Safemap_Assessment_V1_Inspection?
  {
    let rows = try await connection.query(
      """
      SELECT \(unescaped: columns) FROM inspections
      WHERE province_code = \(province) AND inspection_id = \(id)
      """,
      logger: connection.logger
    )
    for try await row in rows { return try decode(row) }
    return nil
  }

  static func find(requestID: String, province: String, on connection: PostgresConnection)
    async throws -> Safemap_Assessment_V1_Inspection?
  {
    let rows = try await connection.query(
      """
      SELECT \(unescaped: columns) FROM inspections
      WHERE province_code = \(province) AND request_id = \(requestID)
      """,
      logger: connection.logger
    )
    for try await row in rows { return try decode(row) }
    return nil
  }

  /// `YYYY-MM-DD` of a real date from 2020 up to tomorrow (time zones), else nil.
  static func isoDate(_ d: Safemap_Common_V1_Date) -> String? {
    var components = DateComponents()
    (components.year, components.month, components.day) = (Int(d.year), Int(d.month), Int(d.day))
    let calendar = Calendar(identifier: .gregorian)
    guard d.year >= 2020, let date = calendar.date(from: components),
      calendar.component(.day, from: date) == Int(d.day), date < Date().addingTimeInterval(86_400)
    else { return nil }
    return String(format: "%04d-%02d-%02d", d.year, d.month, d.day)
  }
}
