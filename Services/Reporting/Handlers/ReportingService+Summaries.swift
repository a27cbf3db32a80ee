import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapCore
import SafeMapDatabase
import SwiftProtobuf

extension ReportingService {
  /// R1 (NONE, ZONE_LOCATION), R2 (DISTRICT) and R3 (ZONE). Every district and zone in the
  /// caller's scope has a row, zeros included; the total is the sum of the rows (for R3, of the
  /// facilities inside zones).
  public func getProvinceSummary(
    request: Safemap_Reporting_V1_GetProvinceSummaryRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetProvinceSummaryResponse {
    let principal = try RequestPrincipal.require()
    let scope = try Self.scope(principal, province: request.provinceCode)
    let instant = try ReportInstant.requested(
      request.hasAsOfTime ? request.asOfTime.date : nil
    )
    let grouping = SummaryGroup(request.grouping)
    guard let grouping else {
      throw RPCError(code: .invalidArgument, message: "grouping: unknown value")
    }
    let rows = try await summaryRows(
      scope,
      at: instant,
      by: grouping,
      tenant: try Self.tenant(scope),
      cancellation: context.cancellation
    )
    return .with {
      $0.provinceCode = scope.province ?? ""
      $0.asOfTime = Google_Protobuf_Timestamp(date: instant.date)
      if grouping != .none { $0.rows = rows }
      $0.total = Self.total(rows)
    }
  }

  /// R6: one row per province, every province listed.
  public func getNationalSummary(
    request: Safemap_Reporting_V1_GetNationalSummaryRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetNationalSummaryResponse {
    let principal = try RequestPrincipal.require()
    guard AccessPolicy.mayReadNationalReports(principal) else {
      throw RPCError(code: .permissionDenied, message: "the national summary is for the ministry")
    }
    let instant = try ReportInstant.requested(
      request.hasAsOfTime ? request.asOfTime.date : nil
    )
    let rows = try await summaryRows(
      ReportScope(province: nil),
      at: instant,
      by: .province,
      tenant: .allProvinces,
      cancellation: context.cancellation
    )
    return .with {
      $0.asOfTime = Google_Protobuf_Timestamp(date: instant.date)
      $0.rows = rows
      $0.total = Self.total(rows)
    }
  }

  static func total(_ rows: [Safemap_Reporting_V1_SummaryRow]) -> Safemap_Reporting_V1_SummaryRow {
    rows.map(SummaryCounts.init(row:)).reduce(SummaryCounts(), +)
      .row(key: "TOTAL", name: "Tổng cộng")
  }

  static func rows(groups: [(key: String, name: String)], counts: [String: SummaryCounts])
    -> [Safemap_Reporting_V1_SummaryRow]
  {
    var rows = groups.map { (counts[$0.key] ?? SummaryCounts()).row(key: $0.key, name: $0.name) }
    // A facility whose district or zone lies outside the listed groups (a zone officer's
    // facility registered in another district than its zone) still gets a row.
    let listed = Set(groups.map(\.key))
    for (key, value) in counts.sorted(by: { $0.key < $1.key }) where !listed.contains(key) {
      rows.append(value.row(key: key, name: key))
    }
    return rows
  }

  /// One row per group, from ``FacilityClasses`` on two connections at once (neither holds
  /// its connection while waiting for the other): every facility counted on one while the
  /// stopped ones are counted and the groups listed on the other. As of a past instant, where
  /// each facility's history is looked up, the count of every facility is split in two
  /// halves (``FacilityHalf``), one per connection.
  func summaryRows(
    _ scope: ReportScope,
    at instant: ReportInstant,
    by group: SummaryGroup,
    tenant: Tenant,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws -> [Safemap_Reporting_V1_SummaryRow] {
    let zonesOnly = group == .zone
    let split = if case .past = instant { true } else { false }
    @Sendable func count(stopped: Bool, _ half: FacilityHalf?, on connection: PostgresConnection)
      async throws -> [FacilityClasses.Count]
    {
      try await FacilityClasses.count(
        scope,
        at: instant,
        key: group.keyExpression,
        predicate: { _ in
          [zonesOnly ? "b.zone_id IS NOT NULL" : "true", half?.predicate("b") ?? "true"]
            .joined(separator: " AND ")
        },
        stopped: stopped,
        on: connection
      )
    }
    async let second = database.withTenantTransaction(
      tenant,
      cancellation: cancellation
    ) { connection in
      let upper = split ? try await count(stopped: false, .upper, on: connection) : []
      let stopped = try await count(stopped: true, nil, on: connection)
      return (upper, stopped, try await Self.groups(scope, at: instant, by: group, on: connection))
    }
    let first = try await database.withTenantTransaction(
      tenant,
      cancellation: cancellation
    ) { connection in
      try await count(stopped: false, split ? .lower : nil, on: connection)
    }
    let (upper, stopped, groups) = try await second
    let counts = FacilityClasses.summaries(first + upper, stopped: stopped)
    return Self.rows(groups: groups, counts: counts)
  }

  /// Every group of the grouping inside the scope, in display order, with its name.
  static func groups(
    _ scope: ReportScope,
    at instant: ReportInstant,
    by group: SummaryGroup,
    on connection: PostgresConnection
  ) async throws -> [(key: String, name: String)] {
    var sql = ReportSQL()
    switch group {
    case .none:
      return [("TOTAL", "Tổng cộng")]
    case .location:
      return [
        ("INSIDE", "Trong khu công nghiệp, khu kinh tế"),
        ("OUTSIDE", "Ngoài khu công nghiệp, khu kinh tế"),
      ]
    case .province:
      sql.append("SELECT code, name FROM provinces ORDER BY code")
    case .district:
      let province = sql.bind(scope.province ?? "")
      var filter = "true"
      if !scope.district.isEmpty {
        filter = "d.code = \(sql.bind(scope.district))"
      } else if let zone = UUID(uuidString: scope.zone) {
        filter = """
          d.code IN (SELECT z.district_code FROM zones z
            WHERE z.province_code = \(province) AND z.zone_id = \(sql.bind(zone)))
          """
      }
      sql.append(
        """
        SELECT d.code, d.name FROM districts d
        WHERE d.province_code = \(province) AND \(filter) ORDER BY d.code
        """
      )
    case .zone:
      let province = sql.bind(scope.province ?? "")
      let narrowed = ReportScope(province: nil, district: scope.district, zone: scope.zone)
      let zones = FacilityFacts.scopePredicate(narrowed, alias: "z", sql: &sql)
      let time = sql.bind(instant.date)
      sql.append(
        """
        SELECT z.zone_id::text, z.name FROM zones z
        WHERE z.province_code = \(province) AND \(zones) AND z.created_at <= \(time)
        ORDER BY z.district_code, z.name
        """
      )
    }
    var groups: [(key: String, name: String)] = []
    for try await (key, name) in try await connection.query(sql.query, logger: connection.logger)
      .decode((String, String).self)
    {
      groups.append((key, name))
    }
    return groups
  }
}

/// How a summary groups facilities.
enum SummaryGroup: Hashable {
  case none, location, district, zone, province

  init?(_ grouping: Safemap_Reporting_V1_SummaryGrouping) {
    switch grouping {
    case .unspecified, .none: self = .none
    case .zoneLocation: self = .location
    case .district: self = .district
    case .zone: self = .zone
    case .UNRECOGNIZED: return nil
    }
  }

  /// The SQL of a group key over ``FacilityFacts/base`` (`b`).
  var keyExpression: String {
    switch self {
    case .none: return "'TOTAL'"
    case .location: return "CASE WHEN b.inside THEN 'INSIDE' ELSE 'OUTSIDE' END"
    case .district: return "b.district_code"
    case .zone: return "b.zone_id::text"
    case .province: return "b.province_code"
    }
  }
}

extension SummaryCounts {
  init(row: Safemap_Reporting_V1_SummaryRow) {
    self.init(
      issued: Int(row.issued),
      stopped: Int(row.stopped),
      safe: Int(row.safe),
      atRisk: Int(row.atRisk),
      unsafe: Int(row.unsafe),
      overdue: Int(row.overdue),
      neverAssessed: Int(row.neverAssessed),
      inspected: Int(row.inspected),
      mismatched: Int(row.selfAssessedSafeInspectedUnsafe)
    )
  }
}
