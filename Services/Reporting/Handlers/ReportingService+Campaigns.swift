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

extension ReportingService {
  static let maximumTitleLength = 200

  /// A province officer sets a deadline for the active facilities of its province (or one
  /// district). The same `request_id` returns the campaign it created the first time.
  public func createCampaign(
    request: Safemap_Reporting_V1_CreateCampaignRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_CreateCampaignResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.campaign.provinceCode) {
      guard AccessPolicy.mayCreateCampaign(principal) else {
        throw RPCError(code: .permissionDenied, message: "only a province officer runs campaigns")
      }
      let tenant = try principal.tenant(
        forRequested: request.campaign.provinceCode,
        field: "campaign.province_code"
      )
      let draft = try Self.validate(request.campaign)
      let requestID = request.requestID.isEmpty ? nil : request.requestID
      let actor = UUID(uuidString: principal.accountID)
      let campaign = try await mutation.commit(in: tenant) {
        connection -> Audited<CampaignRecord> in
        if let requestID {
          let rows = try await connection.query(
            """
            SELECT \(unescaped: CampaignRecord.columns) FROM campaigns
            WHERE province_code = \(tenant.code) AND request_id = \(requestID)
            """,
            logger: connection.logger
          )
          for try await row in rows { return .unchanged(try CampaignRecord(row)) }
        }
        if let district = draft.district {
          let rows = try await connection.query(
            "SELECT 1 FROM districts WHERE province_code = \(tenant.code) AND code = \(district)",
            logger: connection.logger
          )
          var found = false
          for try await _ in rows { found = true }
          guard found else {
            throw RPCError(
              code: .invalidArgument,
              message: "campaign.district_code: no such district in province \(tenant.code)"
            )
          }
        }
        let rows = try await connection.query(
          """
          INSERT INTO campaigns (province_code, campaign_id, title, description, start_time,
            deadline, kinds, district_code, created_by, request_id)
          VALUES (\(tenant.code), \(UUID()), \(draft.title), \(draft.description),
            \(draft.start), \(draft.deadline), \(draft.kinds), \(draft.district), \(actor),
            \(requestID))
          RETURNING \(unescaped: CampaignRecord.columns)
          """,
          logger: connection.logger
        )
        var created: CampaignRecord?
        for try await row in rows { created = try CampaignRecord(row) }
        guard let created else { throw RPCError(code: .internalError, message: "not created") }
        return .changed(
          created,
          target: "campaign",
          id: created.id.uuidString.lowercased(),
          detail: created.title
        )
      }
      return .with { $0.campaign = campaign.message }
    }
  }

  struct CampaignDraft: Sendable {
    var title: String
    var description: String
    var start: Date
    var deadline: Date
    var kinds: [String]
    var district: String?
  }

  /// Every violation of a new campaign at once.
  static func validate(_ campaign: Safemap_Reporting_V1_Campaign, now: Date = Date()) throws
    -> CampaignDraft
  {
    var violations = FieldViolations()
    let title = campaign.title.trimmingCharacters(in: .whitespacesAndNewlines)
    violations.require(!title.isEmpty, "campaign.title", "required")
    violations.require(
      title.count <= maximumTitleLength,
      "campaign.title",
      "at most \(maximumTitleLength) characters"
    )
    let start = campaign.hasStartTime ? campaign.startTime.date : now
    violations.require(campaign.hasDeadline, "campaign.deadline", "required")
    let deadline = campaign.deadline.date
    if campaign.hasDeadline {
      violations.require(deadline > start, "campaign.deadline", "must be after start_time")
      violations.require(deadline > now, "campaign.deadline", "must be in the future")
    }
    violations.require(
      start > Date(timeIntervalSince1970: 946_684_800),
      "campaign.start_time",
      "must be after 2000-01-01"
    )
    var kinds: [String] = []
    for (index, kind) in campaign.kinds.enumerated() {
      let name: String? =
        switch kind {
        case .workplace: "WORKPLACE"
        case .dormitory: "DORMITORY"
        default: nil
        }
      guard let name else {
        violations.add("campaign.kinds[\(index)]", "WORKPLACE or DORMITORY")
        continue
      }
      violations.require(!kinds.contains(name), "campaign.kinds[\(index)]", "listed twice")
      kinds.append(name)
    }
    violations.require(
      campaign.districtCode.isEmpty || DistrictCode.isWellFormed(campaign.districtCode),
      "campaign.district_code",
      "three digits"
    )
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    return CampaignDraft(
      title: title,
      description: campaign.description_p,
      start: start,
      deadline: deadline,
      kinds: kinds,
      district: campaign.districtCode.isEmpty ? nil : campaign.districtCode
    )
  }

  /// Campaigns of the province, latest deadline first; district and zone officers see those of
  /// the whole province and of their own district.
  public func listCampaigns(
    request: Safemap_Reporting_V1_ListCampaignsRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_ListCampaignsResponse {
    let principal = try RequestPrincipal.require()
    let scope = try Self.scope(principal, province: request.provinceCode)
    let page = try Paging.Page<Paging.TimeKey>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let includePast = request.includePast
    let province = scope.province ?? ""
    let campaigns = try await database.withTenantTransaction(
      try Self.tenant(scope),
      cancellation: context.cancellation
    ) { connection in
      let district = try await Self.campaignDistrict(scope, on: connection)
      let rows = try await connection.query(
        """
        SELECT \(unescaped: CampaignRecord.columns), \(unescaped: Paging.TimeKey.select("c.deadline"))
        FROM campaigns c
        WHERE c.province_code = \(province)
          AND (\(district)::text IS NULL OR c.district_code IS NULL
            OR c.district_code = \(district))
          AND (\(includePast) OR c.deadline > now())
          AND \(before: page.after, time: "c.deadline", id: "c.campaign_id")
        ORDER BY c.deadline DESC, c.campaign_id::text DESC LIMIT \(page.size)
        """,
        logger: connection.logger
      )
      var found: [(CampaignRecord, Paging.TimeKey)] = []
      for try await row in rows {
        let campaign = try CampaignRecord(row)
        found.append((campaign, try Paging.TimeKey(row, id: campaign.id.uuidString.lowercased())))
      }
      return found
    }
    return .with {
      $0.campaigns = campaigns.map(\.0.message)
      $0.nextPageToken = page.nextToken(after: campaigns.last?.1, count: campaigns.count)
    }
  }

  /// The district whose campaigns a district or zone officer sees (besides province-wide
  /// ones); `nil` for province-wide readers.
  static func campaignDistrict(_ scope: ReportScope, on connection: PostgresConnection)
    async throws -> String?
  {
    if !scope.district.isEmpty { return scope.district }
    guard let province = scope.province, let zone = UUID(uuidString: scope.zone) else {
      return nil
    }
    let rows = try await connection.query(
      "SELECT district_code FROM zones WHERE province_code = \(province) AND zone_id = \(zone)",
      logger: connection.logger
    )
    for try await district in rows.decode(String.self) { return district }
    return "none"
  }

  /// Per district and per zone: the facilities active at the deadline (or now, before it) and
  /// those that submitted every required kind inside the campaign's window. A facility that
  /// stops operating leaves the denominator from its effective date.
  public func getCampaignProgress(
    request: Safemap_Reporting_V1_GetCampaignProgressRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetCampaignProgressResponse {
    let principal = try RequestPrincipal.require()
    let scope = try Self.scope(principal, province: request.provinceCode)
    guard UUID(uuidString: request.campaignID) != nil else {
      throw RPCError(code: .invalidArgument, message: "campaign_id: not a valid id")
    }
    return try await database.withTenantTransaction(
      try Self.tenant(scope),
      cancellation: context.cancellation
    ) { connection in
      let campaign = try await Self.visibleCampaign(request.campaignID, scope, on: connection)
      var narrowed = scope
      if let district = campaign.district { narrowed.district = district }
      // One instant for the whole answer: the counts and the district and zone rows.
      let now = ReportInstant.now(Date())
      var sql = ReportSQL()
      let until = sql.bind(min(campaign.deadline, now.date))
      let base = FacilityFacts.base(narrowed, at: now, time: until, sql: &sql)
      let active = FacilityFacts.activeExpression(narrowed, alias: "b", time: until, sql: &sql)
      let done = campaign.donePredicate("b", until: until, sql: &sql)
      // Grouped by district, zone and done in one hash aggregate over a scan of the province;
      // the per-district and per-zone sums are added up here.
      sql.append(
        """
        SELECT b.district_code, b.zone_id::text, \(done), count(*)::int8 FROM (\(base)) b
        WHERE \(active)
        GROUP BY 1, 2, 3
        """
      )
      var byDistrict: [String: (Int, Int)] = [:]
      var byZone: [String: (Int, Int)] = [:]
      for try await (district, zone, isDone, count) in try await connection.query(
        sql.query,
        logger: connection.logger
      ).decode((String, String?, Bool, Int64).self) {
        let (facilities, done) = (Int(count), isDone ? Int(count) : 0)
        byDistrict[district, default: (0, 0)].0 += facilities
        byDistrict[district, default: (0, 0)].1 += done
        guard let zone else { continue }  // facilities outside any zone
        byZone[zone, default: (0, 0)].0 += facilities
        byZone[zone, default: (0, 0)].1 += done
      }
      let districts = try await Self.groups(
        narrowed,
        at: now,
        by: .district,
        on: connection
      )
      let zones = try await Self.groups(narrowed, at: now, by: .zone, on: connection)
      func row(_ group: (key: String, name: String), _ counts: [String: (Int, Int)])
        -> Safemap_Reporting_V1_CampaignProgressRow
      {
        let (active, done) = counts[group.key] ?? (0, 0)
        return Self.progressRow(key: group.key, name: group.name, active: active, done: done)
      }
      let districtRows = districts.map { row($0, byDistrict) }
      return .with {
        $0.campaign = campaign.message
        $0.byDistrict = districtRows
        $0.byZone = zones.map { row($0, byZone) }
        $0.total = Self.progressRow(
          key: "TOTAL",
          name: "Tổng cộng",
          active: districtRows.reduce(0) { $0 + Int($1.active) },
          done: districtRows.reduce(0) { $0 + Int($1.done) }
        )
      }
    }
  }

  static func progressRow(key: String, name: String, active: Int, done: Int)
    -> Safemap_Reporting_V1_CampaignProgressRow
  {
    .with {
      $0.groupKey = key
      $0.groupName = name
      $0.active = Int32(active)
      $0.done = Int32(done)
      $0.notDone = Int32(active - done)
      $0.doneRatePercent = active == 0 ? 0 : Double(done) * 100 / Double(active)
    }
  }
}
