import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

extension AssessmentService {
  public func getFacilityStatus(
    request: Safemap_Assessment_V1_GetFacilityStatusRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_GetFacilityStatusResponse {
    let principal = try RequestPrincipal.require()
    if case .otherProvince = principal.resolveProvince(requested: request.provinceCode) {
      throw RPCError(code: .notFound, message: "facility_id: no such facility")
    }
    let tenant = try principal.tenant(forRequested: request.provinceCode)
    let facilityID =
      request.facilityID.isEmpty && principal.role == .facility
      ? principal.facilityID : request.facilityID
    guard let facility = UUID(uuidString: facilityID) else {
      throw RPCError(code: .invalidArgument, message: "facility_id: required")
    }
    let profile = try await facilities.profile(province: tenant.code, facilityID: facilityID)
    let status = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) {
      connection in
      let settings = try await Self.readSettings(tenant.code, on: connection)
      let rows = try await connection.query(
        """
        SELECT workplace_assessment_id, workplace_map_level, workplace_risk_level,
          workplace_index_percent, workplace_submitted_at, workplace_valid_until,
          dormitory_assessment_id, dormitory_map_level, dormitory_risk_level,
          dormitory_index_percent, dormitory_submitted_at, dormitory_valid_until,
          inspection_id, updated_at
        FROM facility_status WHERE province_code = \(tenant.code) AND facility_id = \(facility)
        """,
        logger: connection.logger
      )
      var kinds: [Safemap_Assessment_V1_KindStatus?] = [nil, nil]
      var latest: [FacilityStanding.Latest?] = [nil, nil]
      var inspectionID: UUID?
      var updated: Date?
      for try await row in rows {
        let c = row.makeRandomAccess()
        for (k, offset) in [(0, 0), (1, 6)] {
          guard let id = try c[offset].decode(UUID?.self) else { continue }
          let map = MapLevel(rawValue: try c[offset + 1].decode(String.self)) ?? .unsafe
          let validUntil = try c[offset + 5].decode(Date.self)
          latest[k] = .init(mapLevel: map, validUntil: validUntil)
          let risk = try c[offset + 2].decode(String.self)
          let index = try c[offset + 3].decode(Double.self)
          let submitted = try c[offset + 4].decode(Date.self)
          kinds[k] = .with {
            $0.kind = k == 0 ? .workplace : .dormitory
            $0.assessmentID = id.uuidString.lowercased()
            $0.mapLevel = map.message
            $0.riskLevel = RiskLevel(rawValue: risk)?.message ?? .unspecified
            $0.indexPercent = index
            $0.submitTime = Google_Protobuf_Timestamp(date: submitted)
            $0.validUntil = Google_Protobuf_Timestamp(date: validUntil)
          }
        }
        inspectionID = try c[12].decode(UUID?.self)
        updated = try c[13].decode(Date.self)
      }
      let standing = FacilityStanding.evaluate(
        workplace: latest[0],
        dormitory: latest[1],
        hasDormitory: profile.hasDormitory_p,
        graceDays: Int(settings.overdueGraceDays),
        now: Date()
      )
      var inspection: Safemap_Assessment_V1_Inspection?
      if let inspectionID {
        inspection = try await InspectionRecord.find(
          inspectionID,
          province: tenant.code,
          on: connection
        )
      }
      return Safemap_Assessment_V1_FacilityStatus.with {
        $0.provinceCode = tenant.code
        $0.facilityID = facility.uuidString.lowercased()
        $0.mapLevel = standing.level.message
        if var workplace = kinds[0] {
          workplace.overdue = standing.workplaceOverdue; $0.workplace = workplace
        }
        if profile.hasDormitory_p, var dormitory = kinds[1] {
          dormitory.overdue = standing.dormitoryOverdue
          $0.dormitory = dormitory
        }
        if let updated { $0.updateTime = Google_Protobuf_Timestamp(date: updated) }
        if let inspection {
          $0.latestInspection = inspection
          let lastSubmitted = kinds.compactMap { $0?.submitTime.date }.max()
          let newer = lastSubmitted.map { inspection.createTime.date > $0 } ?? true
          $0.inspectionNewer = newer
          let selfAssessedSafe =
            standing.level == .safe
            || (standing.level == .overdue && latest.compactMap { $0?.mapLevel }.max() == .safe)
          $0.selfAssessedSafeInspectedUnsafe =
            newer && selfAssessedSafe && inspection.levelFound == .unsafe
        }
      }
    }
    return .with { $0.status = status }
  }

  public func recordInspection(
    request: Safemap_Assessment_V1_RecordInspectionRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_RecordInspectionResponse {
    let mutation = try AuditedMutation(context, database: database)
    return try await mutation.run(province: request.provinceCode) {
      try await recordInspection(request, mutation: mutation, context: context)
    }
  }

  private func recordInspection(
    _ request: Safemap_Assessment_V1_RecordInspectionRequest,
    mutation: AuditedMutation,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_RecordInspectionResponse {
    let principal = mutation.principal
    guard AccessPolicy.mayRecordInspections(principal) else {
      throw RPCError(
        code: .permissionDenied,
        message: "only a health inspector or province officer records inspections"
      )
    }
    let tenant = try principal.tenant(forRequested: request.provinceCode)
    var violations = FieldViolations()
    let facility = UUID(uuidString: request.facilityID)
    violations.require(facility != nil, "facility_id", "required")
    let level = MapLevel(request.levelFound)
    violations.require(level != nil, "level_found", "SAFE, AT_RISK or UNSAFE")
    violations.require(
      !request.inspectorName.trimmingCharacters(in: .whitespaces).isEmpty,
      "inspector_name",
      "required"
    )
    violations.require(request.findings.count <= 5000, "findings", "at most 5000 characters")
    violations.require(
      request.inspectorName.count <= 200,
      "inspector_name",
      "at most 200 characters"
    )
    let date = InspectionRecord.isoDate(request.inspectionDate)
    violations.require(date != nil, "inspection_date", "required: a valid date, not in the future")
    guard violations.isEmpty, let facility, let level, let date else {
      throw RPCError.invalidArgument(violations)
    }
    _ = try await facilities.profile(province: tenant.code, facilityID: request.facilityID)
    let requestID = request.requestID.isEmpty ? nil : request.requestID
    let recordedBy = UUID(uuidString: principal.accountID)
    let inspection = try await mutation.commit(in: tenant) {
      connection -> Audited<Safemap_Assessment_V1_Inspection> in
      if let requestID,
        let first = try await InspectionRecord.find(
          requestID: requestID,
          province: tenant.code,
          on: connection
        )
      {
        return .unchanged(first)
      }
      let id = UUID()
      var inserted: Safemap_Assessment_V1_Inspection?
      for try await row in try await connection.query(
        """
        INSERT INTO inspections (province_code, inspection_id, facility_id, inspection_date,
          findings, level_found, inspector_name, recorded_by, request_id)
        VALUES (\(tenant.code), \(id), \(facility), \(date)::date, \(request.findings),
          \(level.rawValue), \(request.inspectorName), \(recordedBy), \(requestID))
        RETURNING \(unescaped: InspectionRecord.columns)
        """,
        logger: connection.logger
      ) {
        inserted = try InspectionRecord.decode(row)
      }
      guard let inserted else {
        throw RPCError(code: .internalError, message: "inspection \(id) was not written")
      }
      try await connection.query(
        """
        INSERT INTO facility_status (province_code, facility_id, inspection_id, inspection_level,
          inspection_date, inspected_at)
        SELECT province_code, facility_id, inspection_id, level_found, inspection_date, created_at
        FROM inspections WHERE province_code = \(tenant.code) AND inspection_id = \(id)
        ON CONFLICT (province_code, facility_id) DO UPDATE SET
          inspection_id = excluded.inspection_id, inspection_level = excluded.inspection_level,
          inspection_date = excluded.inspection_date, inspected_at = excluded.inspected_at,
          updated_at = now()
        """,
        logger: connection.logger
      )
      return .changed(
        inserted,
        target: "facility",
        id: facility.uuidString.lowercased(),
        detail: "level found \(level.rawValue)"
      )
    }
    return .with { $0.inspection = inspection }
  }

  public func listInspections(
    request: Safemap_Assessment_V1_ListInspectionsRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_ListInspectionsResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try principal.tenant(forRequested: request.provinceCode)
    let page = try Paging.Page<Paging.TimeKey>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    var facilityID = request.facilityID
    if principal.role == .facility {
      // A facility reads its own inspections; another facility's id is as unknown as any.
      guard facilityID.isEmpty || facilityID == principal.facilityID else {
        throw RPCError(code: .notFound, message: "facility_id: no such facility")
      }
      facilityID = principal.facilityID
    }
    let facility = facilityID.isEmpty ? nil : UUID(uuidString: facilityID)
    guard facilityID.isEmpty || facility != nil else {
      throw RPCError(code: .invalidArgument, message: "facility_id: not a valid id")
    }
    if let facility {
      _ = try await facilities.profile(
        province: tenant.code,
        facilityID: facility.uuidString.lowercased()
      )
    } else if !AccessPolicy.mayReadWholeProvince(principal) {
      throw RPCError(
        code: .permissionDenied,
        message: "facility_id: name a facility in your district or zone"
      )
    }
    let found = try await database.withTenantTransaction(tenant, cancellation: context.cancellation)
    {
      connection in
      let rows = try await connection.query(
        """
        SELECT \(unescaped: InspectionRecord.columns),
          \(unescaped: Paging.TimeKey.select("created_at"))
        FROM inspections
        WHERE province_code = \(tenant.code)
          AND (\(facility)::uuid IS NULL OR facility_id = \(facility))
          AND \(before: page.after, time: "created_at", id: "inspection_id")
        ORDER BY created_at DESC, inspection_id::text DESC LIMIT \(page.size)
        """,
        logger: connection.logger
      )
      var result: [(Safemap_Assessment_V1_Inspection, Paging.TimeKey)] = []
      for try await row in rows {
        let inspection = try InspectionRecord.decode(row)
        result.append((inspection, try Paging.TimeKey(row, id: inspection.inspectionID)))
      }
      return result
    }
    return .with {
      $0.inspections = found.map(\.0)
      $0.nextPageToken = page.nextToken(after: found.last?.1, count: found.count)
    }
  }
}

extension FacilityStanding.Level {
  var message: Safemap_Common_V1_MapLevel {
    switch self {
    case .safe: return .safe
    case .atRisk: return .atRisk
    case .unsafe: return .unsafe
    case .notAssessed: return .notAssessed
    case .overdue: return .overdue
    }
  }
}

enum InspectionRecord {
  static let columns = """
    inspection_id, province_code, facility_id, inspection_date::text, findings, level_found,
    inspector_name, recorded_by, created_at
    """

  static func decode(_ row: PostgresRow) throws -> Safemap_Assessment_V1_Inspection {
    let c = row.makeRandomAccess()
    let date = try c[3].decode(String.self).split(separator: "-").compactMap { Int32($0) }
    return try .with {
      $0.inspectionID = try c[0].decode(UUID.self).uuidString.lowercased()
      $0.provinceCode = try c[1].decode(String.self)
      $0.facilityID = try c[2].decode(UUID.self).uuidString.lowercased()
      if date.count == 3 {
        $0.inspectionDate = .with { d in
          d.year = date[0]; d.month = date[1]; d.day = date[2]
        }
      }
      $0.findings = try c[4].decode(String.self)
      $0.levelFound = MapLevel(rawValue: try c[5].decode(String.self))?.message ?? .unspecified
      $0.inspectorName = try c[6].decode(String.self)
      $0.recordedByAccountID = try c[7].decode(UUID.self).uuidString.lowercased()
      $0.createTime = Google_Protobuf_Timestamp(date: try c[8].decode(Date.self))
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
