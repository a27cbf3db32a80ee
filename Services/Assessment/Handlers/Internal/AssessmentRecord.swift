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
      $0.provinceCode = try c["province_code"].decode(String.self)
      $0.assessmentID = try c["assessment_id"].decode(UUID.self).uuidString.lowercased()
      $0.facilityID = try c["facility_id"].decode(UUID.self).uuidString.lowercased()
      $0.kind = AssessmentKind.message(sql: try c["kind"].decode(String.self))
      $0.catalogueVersion = try c["catalogue_version"].decode(Int32.self)
      $0.requestID = try c["request_id"].decode(String.self)
      $0.units = try Safemap_Assessment_V1_UnitResult.array(
        fromJSONString: try c["units"].decode(String.self)
      )
      $0.score = try c["score"].decode(Int32.self)
      $0.maxPoints = try c["max_points"].decode(Int32.self)
      $0.indexPercent = try c["index_percent"].decode(Double.self)
      $0.riskLevel =
        RiskLevel(rawValue: try c["risk_level"].decode(String.self))?.message ?? .unspecified
      $0.mapLevel =
        MapLevel(rawValue: try c["map_level"].decode(String.self))?.message ?? .unspecified
      $0.topCriteria = try Safemap_Assessment_V1_CriterionContribution.array(
        fromJSONString: try c["top_criteria"].decode(String.self)
      )
      $0.submittedByAccountID = try c["submitted_by"].decode(UUID.self).uuidString.lowercased()
      $0.submitTime = Google_Protobuf_Timestamp(date: try c["submitted_at"].decode(Date.self))
      $0.validUntil = Google_Protobuf_Timestamp(date: try c["valid_until"].decode(Date.self))
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
