import Crypto
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

/// A list request once scope and filter are checked.
struct StatusList: Sendable {
  var scope: ReportScope
  var levels: [String]
  var location: Bool?
  var onlyMismatch: Bool
  var campaignID: String
  /// Identifies the list (caller's scope and filter), so a page token is used only with it.
  var fingerprint: String

  init(
    _ principal: Principal,
    _ province: String,
    _ filter: Safemap_Reporting_V1_FacilityStatusFilter
  ) throws {
    scope = try ReportingService.scope(
      principal,
      province: province,
      district: filter.districtCode,
      zone: filter.zoneID
    )
    var violations = FieldViolations()
    levels = FacilityStanding.Level.sqlNames(
      filter.mapLevels,
      field: "filter.map_levels",
      violations: &violations
    )
    switch filter.zoneLocation {
    case .unspecified: location = nil
    case .insideIndustrialZone: location = true
    case .outsideIndustrialZone: location = false
    case .UNRECOGNIZED:
      location = nil
      violations.add("filter.zone_location", "unknown value")
    }
    violations.require(
      filter.campaignID.isEmpty || UUID(uuidString: filter.campaignID) != nil,
      "filter.campaign_id",
      "not a valid id"
    )
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    onlyMismatch = filter.onlyInspectionMismatch
    campaignID = filter.campaignID.lowercased()
    let identity = [
      scope.province ?? "*", scope.district, scope.zone, levels.sorted().joined(separator: ","),
      location.map { "\($0)" } ?? "", "\(onlyMismatch)", campaignID,
    ].joined(separator: "|")
    fingerprint = SHA256.hash(data: Data(identity.utf8)).prefix(8)
      .map { String(format: "%02x", $0) }.joined()
  }

  /// The active facilities of `scope` at `levels` (every level when empty), with no other
  /// filter: what a unit's snapshot lists.
  init(everyFacilityOf scope: ReportScope, levels: [FacilityStanding.Level] = []) {
    self.scope = scope
    self.levels = levels.map(\.sql)
    location = nil
    onlyMismatch = false
    campaignID = ""
    fingerprint = ""
  }

  /// The campaign the filter names, if any.
  private func campaign(on connection: PostgresConnection) async throws -> CampaignRecord? {
    guard !campaignID.isEmpty else { return nil }
    guard let province = scope.province else {
      throw RPCError(code: .invalidArgument, message: "filter.campaign_id: name the province")
    }
    return try await CampaignRecord.require(
      campaignID,
      province: province,
      field: "filter.campaign_id",
      on: connection
    )
  }

  /// The filter's conditions SQL decides on `alias` (``FacilityFacts/base`` columns): zone
  /// location and campaign. Levels and the inspection flag are decided by the rule.
  private func conditions(
    _ alias: String,
    at instant: ReportInstant,
    campaign: CampaignRecord?,
    sql: inout ReportSQL
  ) -> String {
    var parts = ["true"]
    if let location { parts.append(location ? "\(alias).inside" : "NOT \(alias).inside") }
    if let campaign {
      let until = sql.bind(instant.date)
      parts.append("NOT " + campaign.donePredicate(alias, until: until, sql: &sql))
      if let district = campaign.district {
        parts.append("\(alias).district_code = \(sql.bind(district))")
      }
    }
    return parts.joined(separator: " AND ")
  }

  func matches(_ facility: FacilityClass) -> Bool {
    (levels.isEmpty || levels.contains(facility.level.rawValue))
      && (!onlyMismatch || facility.mismatch)
  }

  /// How many facilities of the list's filter one pass of ``FacilityClasses`` counts: every
  /// issued facility as if active, or (`stopped`) those stopped at the instant, which leave
  /// the list. No row is built.
  func count(at instant: ReportInstant, stopped: Bool, on connection: PostgresConnection)
    async throws -> Int
  {
    let campaign = try await campaign(on: connection)
    let counts = try await FacilityClasses.count(
      scope,
      at: instant,
      key: "''",
      predicate: { sql in conditions("b", at: instant, campaign: campaign, sql: &sql) },
      stopped: stopped,
      perFacility: campaign != nil,
      on: connection
    )
    return counts.filter { matches($0.facilityClass) }.reduce(0) { $0 + $1.count }
  }

  func page(
    at instant: ReportInstant,
    after: String?,
    limit: Int,
    on connection: PostgresConnection
  ) async throws -> [Safemap_Reporting_V1_FacilityStatusRow] {
    let campaign = try await campaign(on: connection)
    var sql = ReportSQL()
    let facts = FacilityFacts.subquery(scope, at: instant, sql: &sql)
    var filter =
      "facts.active AND " + conditions("facts", at: instant, campaign: campaign, sql: &sql)
    if !levels.isEmpty { filter += " AND facts.level = ANY(\(sql.bind(levels))::text[])" }
    if onlyMismatch { filter += " AND facts.mismatch" }
    if let after, let id = UUID(uuidString: after) {
      filter += " AND facts.facility_id > \(sql.bind(id))"
    }
    let province = FacilityFacts.provinceReference(scope, alias: "p", sql: &sql)
    sql.append(
      """
      SELECT p.facility_id, f.name, f.tax_code, f.address, p.district_code,
        coalesce(d.name, ''), coalesce(p.zone_id::text, ''), coalesce(z.name, ''),
        f.contact_phone, a.username, p.issued_at, p.last_at, p.level,
        CASE p.decider WHEN 'DORMITORY' THEN p.d_index ELSE p.w_index END, p.decider,
        coalesce(x.top_criteria::text, '[]'), p.i_level, p.mismatch
      FROM (SELECT * FROM \(facts) facts WHERE \(filter)
        ORDER BY facts.facility_id LIMIT \(sql.bind(limit))) p
      JOIN facilities f ON f.province_code = \(province) AND f.facility_id = p.facility_id
      JOIN accounts a ON a.province_code = \(province) AND a.facility_id = p.facility_id
      LEFT JOIN districts d ON d.province_code = \(province) AND d.code = p.district_code
      LEFT JOIN zones z ON z.province_code = \(province) AND z.zone_id = p.zone_id
      LEFT JOIN assessments x ON x.province_code = \(province)
        AND x.assessment_id = CASE p.decider WHEN 'DORMITORY' THEN p.d_id ELSE p.w_id END
      ORDER BY p.facility_id
      """
    )
    let rows = try await connection.query(sql.query, logger: connection.logger)
    var statuses: [Safemap_Reporting_V1_FacilityStatusRow] = []
    for try await row in rows.decode(Self.Columns.self) {
      let (
        id, name, taxCode, address, district, districtName, zoneID, zoneName, phone, username,
        issued, last, level, index, decider, top, inspection, mismatch
      ) = row
      statuses.append(
        try .with {
          $0.facilityID = id.uuidString.lowercased()
          $0.name = name
          $0.taxCode = taxCode
          $0.address = address
          $0.districtCode = district
          $0.districtName = districtName
          $0.zoneID = zoneID
          $0.zoneName = zoneName
          $0.contactPhone = phone
          $0.username = username
          $0.accountIssueTime = Google_Protobuf_Timestamp(date: issued)
          if let last { $0.lastAssessmentTime = Google_Protobuf_Timestamp(date: last) }
          $0.mapLevel = FacilityStanding.Level.message(sql: level)
          $0.indexPercent = index ?? 0
          $0.kind = AssessmentKind.message(sql: decider)
          $0.topCriteria = try Safemap_Assessment_V1_CriterionContribution.array(
            fromJSONString: top
          )
          $0.inspectionLevel = FacilityStanding.Level.message(sql: inspection)
          $0.selfAssessedSafeInspectedUnsafe = mismatch
        }
      )
    }
    return statuses
  }

  /// The types of the page statement's columns, in its order.
  typealias Columns = (
    UUID, String, String, String, String, String, String, String, String, String, Date, Date?,
    String, Double?, String?, String, String?, Bool
  )
}
