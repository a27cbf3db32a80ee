import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SwiftProtobuf

/// Reading and writing `assessments` rows as `Assessment` messages.
enum AssessmentRecord {
  static let columns = """
    province_code, assessment_id, facility_id, kind, catalogue_version, request_id, units::text,
    score, max_points, index_percent, risk_level, map_level, top_criteria::text, submitted_by,
    submitted_at, valid_until
    """

  static func decode(_ row: PostgresRow) throws -> Safemap_Assessment_V1_Assessment {
    let c = row.makeRandomAccess()
    return try .with {
      $0.provinceCode = try c[0].decode(String.self)
      $0.assessmentID = try c[1].decode(UUID.self).uuidString.lowercased()
      $0.facilityID = try c[2].decode(UUID.self).uuidString.lowercased()
      $0.kind = AssessmentKind.message(sql: try c[3].decode(String.self))
      $0.catalogueVersion = try c[4].decode(Int32.self)
      $0.requestID = try c[5].decode(String.self)
      $0.units = try Safemap_Assessment_V1_UnitResult.array(
        fromJSONString: try c[6].decode(String.self)
      )
      $0.score = try c[7].decode(Int32.self)
      $0.maxPoints = try c[8].decode(Int32.self)
      $0.indexPercent = try c[9].decode(Double.self)
      $0.riskLevel = RiskLevel(rawValue: try c[10].decode(String.self))?.message ?? .unspecified
      $0.mapLevel = MapLevel(rawValue: try c[11].decode(String.self))?.message ?? .unspecified
      $0.topCriteria = try Safemap_Assessment_V1_CriterionContribution.array(
        fromJSONString: try c[12].decode(String.self)
      )
      $0.submittedByAccountID = try c[13].decode(UUID.self).uuidString.lowercased()
      $0.submitTime = Google_Protobuf_Timestamp(date: try c[14].decode(Date.self))
      $0.validUntil = Google_Protobuf_Timestamp(date: try c[15].decode(Date.self))
    }
  }

  /// The assessment a facility stored under `requestID`, if any.
  static func find(
    province: String,
    facility: UUID,
    requestID: String,
    on connection: PostgresConnection
  ) async throws -> Safemap_Assessment_V1_Assessment? {
    let rows = try await connection.query(
      """
      SELECT \(unescaped: columns) FROM assessments
      WHERE province_code = \(province) AND facility_id = \(facility)
        AND request_id = \(requestID)
      """,
      logger: connection.logger
    )
    for try await row in rows { return try decode(row) }
    return nil
  }

  static func find(_ id: UUID, province: String, on connection: PostgresConnection)
    async throws -> Safemap_Assessment_V1_Assessment?
  {
    let rows = try await connection.query(
      """
      SELECT \(unescaped: columns) FROM assessments
      WHERE province_code = \(province) AND assessment_id = \(id)
      """,
      logger: connection.logger
    )
    for try await row in rows { return try decode(row) }
    return nil
  }
}
