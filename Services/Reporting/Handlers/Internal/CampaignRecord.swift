import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SwiftProtobuf

/// A campaign as stored in `campaigns`.
struct CampaignRecord: Sendable {
  var province: String
  var id: UUID
  var title: String
  var description: String
  var start: Date
  var deadline: Date
  /// `WORKPLACE` / `DORMITORY`; empty: workplace, plus dormitory where there is one.
  var kinds: [String]
  var district: String?
  var createdBy: UUID
  var created: Date

  static let columns = """
    province_code, campaign_id, title, description, start_time, deadline, kinds, district_code,
    created_by, created_at
    """

  init(_ row: PostgresRow) throws {
    let c = row.makeRandomAccess()
    province = try c["province_code"].decode(String.self)
    id = try c["campaign_id"].decode(UUID.self)
    title = try c["title"].decode(String.self)
    description = try c["description"].decode(String.self)
    start = try c["start_time"].decode(Date.self)
    deadline = try c["deadline"].decode(Date.self)
    kinds = try c["kinds"].decode([String].self)
    district = try c["district_code"].decode(String?.self)
    createdBy = try c["created_by"].decode(UUID.self)
    created = try c["created_at"].decode(Date.self)
  }

  static func find(_ id: UUID, province: String, on connection: PostgresConnection) async throws
    -> CampaignRecord?
  {
    let rows = try await connection.query(
      """
      SELECT \(unescaped: columns) FROM campaigns
      WHERE province_code = \(province) AND campaign_id = \(id)
      """,
      logger: connection.logger
    )
    for try await row in rows { return try CampaignRecord(row) }
    return nil
  }

  /// The campaign `id` of the province, or NOT_FOUND naming `field`.
  static func require(
    _ id: String,
    province: String,
    field: String,
    on connection: PostgresConnection
  ) async throws -> CampaignRecord {
    guard let uuid = UUID(uuidString: id),
      let campaign = try await find(uuid, province: province, on: connection)
    else {
      throw RPCError(code: .notFound, message: "\(field): no such campaign")
    }
    return campaign
  }

  var message: Safemap_Reporting_V1_Campaign {
    .with {
      $0.campaignID = id.uuidString.lowercased()
      $0.provinceCode = province
      $0.title = title
      $0.description_p = description
      $0.startTime = Google_Protobuf_Timestamp(date: start)
      $0.deadline = Google_Protobuf_Timestamp(date: deadline)
      $0.kinds = kinds.map { $0 == "DORMITORY" ? .dormitory : .workplace }
      $0.districtCode = district ?? ""
      $0.createdByAccountID = createdBy.uuidString.lowercased()
      $0.createTime = Google_Protobuf_Timestamp(date: created)
    }
  }

  /// Whether the facility of `alias` (``FacilityFacts/base`` columns: `facility_id`,
  /// `has_dormitory`, and `w_at` / `d_at`, its latest submission of each kind at an instant no
  /// earlier than `until`) submitted every required kind from the start until `until` (a
  /// placeholder; the deadline or an earlier instant). A dormitory is required only of
  /// facilities that have one.
  ///
  /// The latest submission decides almost every facility without reading the history: before
  /// the start, not done; inside the window, done. Only one submitted again after the window
  /// closed is looked up (`assessments_history_idx`), so an open campaign reads no history.
  func donePredicate(_ alias: String, until: String, sql: inout ReportSQL) -> String {
    let province = sql.bind(self.province)
    let start = sql.bind(self.start)
    let end = "least(\(sql.bind(deadline))::timestamptz, \(until)::timestamptz)"
    func submitted(_ kind: String, latest: String) -> String {
      let at = "\(alias).\(latest)"
      return """
        CASE WHEN \(at) IS NULL OR \(at) < \(start) THEN false WHEN \(at) <= \(end) THEN true
          ELSE EXISTS (SELECT 1 FROM assessments x
            WHERE x.province_code = \(province) AND x.facility_id = \(alias).facility_id
              AND x.kind = '\(kind)' AND x.submitted_at >= \(start) AND x.submitted_at <= \(end))
        END
        """
    }
    return combine(
      alias,
      workplace: submitted("WORKPLACE", latest: "w_at"),
      dormitory: submitted("DORMITORY", latest: "d_at")
    )
  }

  /// The kinds a facility of `alias` must have submitted: those the campaign names (all when
  /// none), a dormitory only where there is one.
  private func combine(_ alias: String, workplace: String, dormitory: String) -> String {
    var parts: [String] = []
    if kinds.isEmpty || kinds.contains("WORKPLACE") { parts.append(workplace) }
    if kinds.isEmpty || kinds.contains("DORMITORY") {
      parts.append("(NOT \(alias).has_dormitory OR \(dormitory))")
    }
    return parts.isEmpty ? "true" : "(" + parts.joined(separator: " AND ") + ")"
  }
}
