import Foundation
import GRPCCore
import NIOCore
import PostgresNIO
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SafeMapRuntime
import SwiftProtobuf

/// A nomination as stored in `nominations`, with its account's progress once issued.
struct NominationRecord: Sendable {
  var message: Safemap_Account_V1_Nomination
  var id: UUID
  var state: Nomination.State
  var unit: ReportingUnit
  var key: Paging.TimeKey

  /// The SELECT every read of nominations starts from; `n` is the nomination, `a` its account.
  static let select = """
    SELECT n.nomination_id, n.province_code, n.drive_id, n.unit_kind, n.unit_code, n.facility,
      n.state, n.warnings, n.reason, n.comment, n.nominated_by, n.created_at, n.reviewed_at,
      n.updated_at, n.batch_id, n.facility_id, a.username, a.activated_at,
      CASE WHEN a.account_id IS NULL THEN NULL ELSE \(CredentialStatus.sql) END
        AS credential_status,
      \(Paging.TimeKey.select("n.created_at"))
    FROM nominations n
    LEFT JOIN accounts a ON a.province_code = n.province_code AND a.facility_id = n.facility_id
    """

  init(_ row: PostgresRow) throws {
    let c = row.makeRandomAccess()
    id = try c["nomination_id"].decode(UUID.self)
    let nominationID = id.uuidString.lowercased()
    guard let state = Nomination.State(sql: try c["state"].decode(String.self)),
      let kind = UnitReport.UnitKind(sql: try c["unit_kind"].decode(String.self))
    else { throw RPCError(code: .internalError, message: "nomination \(nominationID) unreadable") }
    self.state = state
    unit = ReportingUnit(kind: kind, code: try c["unit_code"].decode(String.self))
    key = try Paging.TimeKey(row, id: nominationID)
    let bytes = try c["facility"].decode(ByteBuffer.self)
    let facility = try Safemap_Account_V1_Facility(
      serializedBytes: Array(bytes.readableBytesView)
    )
    let province = try c["province_code"].decode(String.self)
    let driveID = try c["drive_id"].decode(UUID?.self)
    let warnings = try c["warnings"].decode([String].self)
    let reason = try c["reason"].decode(String.self)
    let comment = try c["comment"].decode(String.self)
    let nominatedBy = try c["nominated_by"].decode(UUID.self)
    let created = try c["created_at"].decode(Date.self)
    let reviewed = try c["reviewed_at"].decode(Date?.self)
    let updated = try c["updated_at"].decode(Date.self)
    let batch = try c["batch_id"].decode(UUID?.self)
    let facilityID = try c["facility_id"].decode(UUID?.self)
    let username = try c["username"].decode(String?.self)
    let activated = try c["activated_at"].decode(Date?.self)
    let credential = try c["credential_status"].decode(String?.self)
    message = .with { [unit] in
      $0.nominationID = nominationID
      $0.provinceCode = province
      $0.driveID = driveID?.uuidString.lowercased() ?? ""
      $0.unit = unit.message
      $0.facility = facility
      $0.state = state.message
      $0.warnings = warnings
      $0.reason = reason
      $0.comment = comment
      $0.nominatedByAccountID = nominatedBy.uuidString.lowercased()
      $0.createTime = Google_Protobuf_Timestamp(date: created)
      if let reviewed { $0.reviewTime = Google_Protobuf_Timestamp(date: reviewed) }
      $0.updateTime = Google_Protobuf_Timestamp(date: updated)
      $0.batchID = batch?.uuidString.lowercased() ?? ""
      $0.facilityID = facilityID?.uuidString.lowercased() ?? ""
      $0.username = username ?? ""
      $0.credentialStatus = CredentialStatus.message(sql: credential)
      if let activated { $0.activateTime = Google_Protobuf_Timestamp(date: activated) }
    }
  }

  /// The nominations with these ids, in the caller's province, locked when `locking`.
  static func find(
    _ ids: [UUID],
    province: String,
    locking: Bool = false,
    on connection: PostgresConnection
  ) async throws -> [UUID: NominationRecord] {
    let rows = try await connection.query(
      """
      \(unescaped: select)
      WHERE n.province_code = \(province) AND n.nomination_id = ANY(\(ids))
      ORDER BY n.nomination_id \(unescaped: locking ? "FOR UPDATE OF n" : "")
      """,
      logger: connection.logger
    )
    var found: [UUID: NominationRecord] = [:]
    for try await row in rows {
      let record = try NominationRecord(row)
      found[record.id] = record
    }
    return found
  }
}
