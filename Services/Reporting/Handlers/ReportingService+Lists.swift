import Crypto
import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

extension ReportingService {
  /// R4/R5 and every other cut of the active facilities, ordered by facility id. The first page
  /// fixes the instant: later pages read the history as of it, so a list being paged while
  /// facilities submit shows no row twice and skips none.
  public func listFacilityStatuses(
    request: Safemap_Reporting_V1_ListFacilityStatusesRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_ListFacilityStatusesResponse {
    let principal = try RequestPrincipal.require()
    let list = try StatusList(principal, request.provinceCode, request.filter)
    let page = try Paging.Page<ListCursor>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let pageSize = page.size
    let requested = try ReportInstant.requested(
      request.hasAsOfTime ? request.asOfTime.date : nil
    )
    let cursor =
      try page.after?.continuing(list.fingerprint)
      ?? ListCursor(instant: requested.date, fingerprint: list.fingerprint)
    let instant = page.after == nil ? requested : .past(cursor.instant)
    let tenant = try Self.tenant(list.scope)
    // The first page also counts the list, in its two passes (``FacilityClasses``): every
    // facility on a second connection at once, the stopped ones after the page on the first,
    // so both connections take about as long. Neither holds its connection while waiting for
    // the other.
    let counting = cursor.total == nil
    async let listed: Int? =
      counting
      ? database.withTenantTransaction(tenant, cancellation: context.cancellation) {
        connection in
        try await list.count(at: instant, stopped: false, on: connection)
      } : nil
    let (rows, leaving) = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection in
      let rows = try await list.page(
        at: instant,
        after: cursor.lastFacility,
        limit: pageSize,
        on: connection
      )
      let leaving = counting ? try await list.count(at: instant, stopped: true, on: connection) : 0
      return (rows, leaving)
    }
    let total = try await listed.map { $0 - leaving } ?? cursor.total ?? 0
    var next = cursor
    next.total = total
    next.lastFacility = rows.last?.facilityID
    // A page of personal data (names, phones, usernames): who read which list, how much.
    await auditRead(
      principal,
      list,
      filter: request.filter,
      rows: rows.count,
      context: context
    )
    return .with {
      $0.rows = rows
      $0.totalSize = Int32(total)
      $0.nextPageToken = page.nextToken(after: next, count: rows.count)
    }
  }

  /// Every row of the list, streamed in pages of 500 read as of one instant; memory holds one
  /// page whatever the list's size, and the stream waits for the client (flow control).
  public func exportFacilityStatuses(
    request: Safemap_Reporting_V1_ExportFacilityStatusesRequest,
    response: RPCWriter<Safemap_Reporting_V1_ExportFacilityStatusesResponse>,
    context: ServerContext
  ) async throws {
    let principal = try RequestPrincipal.require()
    let list = try StatusList(principal, request.provinceCode, request.filter)
    let requested = try ReportInstant.requested(
      request.hasAsOfTime ? request.asOfTime.date : nil
    )
    let tenant = try Self.tenant(list.scope)
    var instant = requested
    var after: String?
    var written = 0
    do {
      repeat {
        let page = try await database.withTenantTransaction(
          tenant,
          cancellation: context.cancellation
        ) { [instant, after] connection in
          try await list.page(at: instant, after: after, limit: 500, on: connection)
        }
        for row in page {
          try await response.write(.with { $0.row = row })
          written += 1
        }
        after = page.count == 500 ? page.last?.facilityID : nil
        instant = .past(requested.date)
      } while after != nil
    } catch {
      await auditRead(
        principal,
        list,
        filter: request.filter,
        rows: written,
        context: context,
        interrupted: true
      )
      throw error
    }
    await auditRead(
      principal,
      list,
      filter: request.filter,
      rows: written,
      context: context
    )
  }

  /// Records who read a list of personal data, with its filter and how many rows went out,
  /// in the caller's province (the ministry's in the province it read). Best effort: a read
  /// is not refused because its audit row could not be written, but it is logged.
  private func auditRead(
    _ principal: Principal,
    _ list: StatusList,
    filter: Safemap_Reporting_V1_FacilityStatusFilter,
    rows: Int,
    context: ServerContext,
    interrupted: Bool = false
  ) async {
    let tenant = Audit.refusalTenant(actor: principal, requestedProvince: list.scope.province)
    let described = (try? filter.jsonString()) ?? ""
    let action = context.descriptor.method
    let entry = AuditEntry(
      action: action,
      targetType: "facility_status_list",
      targetID: list.scope.province ?? "national",
      detail: "\(rows) rows\(interrupted ? " (interrupted)" : ""); filter \(described.prefix(300))"
    )
    let address = context.clientAddress
    do {
      try await database.withTenantTransaction(tenant, cancellation: context.cancellation) {
        connection in
        try await Audit.record(
          entry,
          actor: principal,
          province: tenant.code,
          clientAddress: address,
          on: connection
        )
      }
    } catch {
      database.logger.warning(
        "list read not audited",
        metadata: ["action": "\(action)", "error": "\(error)"]
      )
    }
  }
}

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
    levels = MapLevelName.sql(filter.mapLevels, field: "filter.map_levels", violations: &violations)
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
    var rows: [Safemap_Reporting_V1_FacilityStatusRow] = []
    for try await row in try await connection.query(sql.query, logger: connection.logger) {
      let c = row.makeRandomAccess()
      let last = try c[11].decode(Date?.self)
      let decider = try c[14].decode(String?.self)
      let top = try c[15].decode(String.self)
      rows.append(
        try .with {
          $0.facilityID = try c[0].decode(UUID.self).uuidString.lowercased()
          $0.name = try c[1].decode(String.self)
          $0.taxCode = try c[2].decode(String.self)
          $0.address = try c[3].decode(String.self)
          $0.districtCode = try c[4].decode(String.self)
          $0.districtName = try c[5].decode(String.self)
          $0.zoneID = try c[6].decode(String.self)
          $0.zoneName = try c[7].decode(String.self)
          $0.contactPhone = try c[8].decode(String.self)
          $0.username = try c[9].decode(String.self)
          $0.accountIssueTime = Google_Protobuf_Timestamp(date: try c[10].decode(Date.self))
          if let last { $0.lastAssessmentTime = Google_Protobuf_Timestamp(date: last) }
          $0.mapLevel = MapLevelName.message(try c[12].decode(String.self))
          $0.indexPercent = try c[13].decode(Double?.self) ?? 0
          $0.kind =
            decider == "DORMITORY" ? .dormitory : decider == "WORKPLACE" ? .workplace : .unspecified
          $0.topCriteria = try Safemap_Assessment_V1_CriterionContribution.array(
            fromJSONString: top
          )
          let inspection = try c[16].decode(String?.self)
          $0.inspectionLevel = inspection.map(MapLevelName.message) ?? .unspecified
          $0.selfAssessedSafeInspectedUnsafe = try c[17].decode(Bool.self)
        }
      )
    }
    return rows
  }
}

/// Map levels as named in SQL and in the API.
enum MapLevelName {
  /// The SQL names of a request's levels, each once; an unknown one is a violation of
  /// `field[i]`.
  static func sql(
    _ levels: [Safemap_Common_V1_MapLevel],
    field: String,
    violations: inout FieldViolations
  ) -> [String] {
    var names: [String] = []
    for (index, level) in levels.enumerated() {
      guard let name = sql(level) else {
        violations.add("\(field)[\(index)]", "unknown level")
        continue
      }
      if !names.contains(name) { names.append(name) }
    }
    return names
  }

  static func sql(_ level: Safemap_Common_V1_MapLevel) -> String? {
    switch level {
    case .safe: return "SAFE"
    case .atRisk: return "AT_RISK"
    case .unsafe: return "UNSAFE"
    case .notAssessed: return "NOT_ASSESSED"
    case .overdue: return "OVERDUE"
    case .unspecified, .UNRECOGNIZED: return nil
    }
  }

  static func message(_ name: String) -> Safemap_Common_V1_MapLevel {
    switch name {
    case "SAFE": return .safe
    case "AT_RISK": return .atRisk
    case "UNSAFE": return .unsafe
    case "NOT_ASSESSED": return .notAssessed
    case "OVERDUE": return .overdue
    default: return .unspecified
    }
  }

  /// The CSS colour a map shows for a level.
  static func color(_ name: String) -> String {
    switch name {
    case "SAFE": return "green"
    case "AT_RISK": return "yellow"
    case "UNSAFE": return "red"
    default: return "grey"
    }
  }
}

/// Where a list continues: the instant of its first page, the list's fingerprint (its province
/// and filter), the total counted on the first page and the last facility returned.
struct ListCursor: Codable, Sendable {
  /// The first page's instant in whole microseconds, so later pages read exactly that instant.
  var micros: Int64
  var fingerprint: String
  var total: Int?
  var lastFacility: String?

  init(instant: Date, fingerprint: String) {
    self.micros = Int64((instant.timeIntervalSince1970 * 1_000_000).rounded(.down))
    self.fingerprint = fingerprint
  }

  var instant: Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }

  /// This cursor, if it continues the list `fingerprint` names (same province and filter).
  func continuing(_ fingerprint: String) throws -> ListCursor {
    guard self.fingerprint == fingerprint else {
      throw RPCError(
        code: .invalidArgument,
        message: "page_token: belongs to a list with another province or filter"
      )
    }
    guard total != nil, let lastFacility, UUID(uuidString: lastFacility) != nil else {
      throw RPCError(code: .invalidArgument, message: "page_token: not a token from this list")
    }
    return self
  }
}
