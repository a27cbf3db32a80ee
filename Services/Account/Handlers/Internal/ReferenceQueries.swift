import PostgresNIO
import SafeMapAPI
import SwiftProtobuf

/// Reads of the reference tables (provinces, districts), which have no tenant.
enum ReferenceQueries {
  static func provinces(after: String, limit: Int, on connection: PostgresConnection)
    async throws -> [Safemap_Common_V1_Province]
  {
    let rows = try await connection.query(
      "SELECT code, name, full_name FROM provinces WHERE code > \(after) ORDER BY code LIMIT \(limit)",
      logger: connection.logger
    )
    var result: [Safemap_Common_V1_Province] = []
    for try await (code, name, fullName) in rows.decode((String, String, String).self) {
      result.append(
        .with {
          $0.code = code; $0.name = name; $0.fullName = fullName
        }
      )
    }
    return result
  }

  static func provinceExists(_ code: String, on connection: PostgresConnection) async throws
    -> Bool
  {
    let rows = try await connection.query(
      "SELECT 1 FROM provinces WHERE code = \(code)",
      logger: connection.logger
    )
    for try await _ in rows { return true }
    return false
  }

  static func districts(
    of province: String,
    after: String,
    limit: Int,
    on connection: PostgresConnection
  ) async throws -> [Safemap_Common_V1_District] {
    let rows = try await connection.query(
      """
      SELECT code, province_code, name, full_name FROM districts
      WHERE province_code = \(province) AND code > \(after) ORDER BY code LIMIT \(limit)
      """,
      logger: connection.logger
    )
    var result: [Safemap_Common_V1_District] = []
    for try await (code, provinceCode, name, fullName) in rows.decode(
      (String, String, String, String).self
    ) {
      result.append(
        .with {
          $0.code = code
          $0.provinceCode = provinceCode
          $0.name = name
          $0.fullName = fullName
        }
      )
    }
    return result
  }
}
