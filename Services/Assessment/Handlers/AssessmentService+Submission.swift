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
  /// DESIGN.md §2 step 2 and §3. The facility's own account only, for its own active facility;
  /// every answer checked against the catalogue version; CS1/CS2 from the profile; the worst unit
  /// decides. The assessment and the facility's current status are written in one transaction;
  /// the same request id returns the first result, also when duplicates race.
  public func submitAssessment(
    request: Safemap_Assessment_V1_SubmitAssessmentRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_SubmitAssessmentResponse {
    let principal = try RequestPrincipal.require()
    guard principal.role == .facility else {
      throw RPCError(code: .permissionDenied, message: "only a facility account submits self-assessments")
    }
    var violations = FieldViolations()
    violations.require(!request.requestID.isEmpty, "request_id", "required (an idempotency key)")
    violations.require(request.requestID.count <= 200, "request_id", "at most 200 characters")
    let kind = KindName.sql(request.kind)
    violations.require(kind != nil, "kind", "WORKPLACE or DORMITORY")
    violations.require(!request.units.isEmpty, "units", "at least one unit")
    violations.require(request.units.count <= 100, "units", "at most 100 units")
    var names: Set<String> = []
    for (i, unit) in request.units.enumerated() {
      violations.require(!unit.unitName.isEmpty, "units[\(i)].unit_name", "required")
      violations.require(names.insert(unit.unitName).inserted || unit.unitName.isEmpty,
                         "units[\(i)].unit_name", "\(unit.unitName) appears twice")
    }
    violations.require(request.catalogueVersion >= 0, "catalogue_version", "must not be negative")
    guard violations.isEmpty, let kind else { throw RPCError.invalidArgument(violations) }
    let facilityID = request.facilityID.isEmpty ? principal.facilityID : request.facilityID
    guard facilityID == principal.facilityID, let facilityUUID = UUID(uuidString: facilityID) else {
      throw RPCError(code: .permissionDenied, message: "facility_id: a facility submits only for itself")
    }
    let tenant = try principal.tenant(forRequested: request.provinceCode)

    let requestID = request.requestID
    do {
      return try await score(
        request, kind: kind, tenant: tenant, facilityID: facilityID, facilityUUID: facilityUUID,
        principal: principal, context: context)
    } catch let error as RPCError
      where [.invalidArgument, .failedPrecondition, .notFound].contains(error.code)
    {
      // A refused request may be the replay of one accepted earlier (the catalogue or the
      // facility changed since): the first result wins.
      if let first = try await database.withTenantTransaction(tenant, cancellation: context.cancellation, {
        try await AssessmentRecord.find(facility: facilityUUID, requestID: requestID, on: $0)
      }) {
        return .with { $0.assessment = first; $0.replayed = true }
      }
      throw error
    }
  }

  /// Validates against the profile and catalogue, scores, and stores (or finds the first
  /// result of the same request id).
  private func score(
    _ request: Safemap_Assessment_V1_SubmitAssessmentRequest, kind: String, tenant: Tenant,
    facilityID: String, facilityUUID: UUID, principal: Principal, context: ServerContext
  ) async throws -> Safemap_Assessment_V1_SubmitAssessmentResponse {
    var violations = FieldViolations()
    let requestID = request.requestID
    // The profile first: if account-service is unreachable, nothing is written.
    let facility = try await facilities.profile(province: tenant.code, facilityID: facilityID)
    guard facility.operatingStatus == .active else {
      throw RPCError(code: .failedPrecondition, message: "facility_id: the facility is not active (suspended or closed)")
    }
    if kind == "DORMITORY" && !facility.hasDormitory_p {
      throw RPCError(code: .failedPrecondition, message: "kind: the facility has no dormitory")
    }
    let requestedVersion = request.catalogueVersion == 0 ? nil : request.catalogueVersion
    guard let catalogue = try await catalogues.find(
      kind: kind, version: requestedVersion, database: database, cancellation: context.cancellation)
    else {
      throw RPCError(code: .notFound, message: "catalogue_version: no such \(kind) catalogue")
    }
    guard catalogue.state == .active else {
      throw RPCError(
        code: .failedPrecondition,
        message: "catalogue_version: version \(catalogue.version) is not the active one")
    }

    let scoring = ScoringCatalogue(catalogue)
    let profile = FacilityProfile(
      workerCount: Int(facility.workerCount), workshopAreaM2: facility.workshopAreaM2,
      dormitoryResidents: Int(facility.dormitoryResidents))
    var units: [UnitScore] = []
    for (i, unit) in request.units.enumerated() {
      switch Scoring.score(
        unitName: unit.unitName, answers: unit.answers.map { ($0.criterionCode, $0.optionCode) },
        catalogue: scoring, profile: profile, field: "units[\(i)]")
      {
      case .success(let score): units.append(score)
      case .failure(let unitViolations): for v in unitViolations.all { violations.add(v.field, v.description) }
      }
    }
    guard violations.isEmpty, let worst = Scoring.worst(units) else {
      throw RPCError.invalidArgument(violations)
    }

    let titles = Dictionary(uniqueKeysWithValues: catalogue.criteria.map { ($0.code, $0.title) })
    let unitResults = units.map { unit in
      Safemap_Assessment_V1_UnitResult.with {
        $0.unitName = unit.unitName
        $0.answers = catalogue.criteria.compactMap { criterion in
          unit.answers[criterion.code].map { option in
            .with { $0.criterionCode = criterion.code; $0.optionCode = option }
          }
        }
        $0.score = Int32(unit.score)
        $0.indexPercent = unit.indexPercent
        $0.riskLevel = unit.riskLevel.message
        $0.mapLevel = unit.mapLevel.message
        $0.knockedOutBy = unit.knockedOutBy
      }
    }
    let top = units.flatMap { unit in unit.contributions.map { (unit.unitName, $0) } }
      .sorted { $0.1.points > $1.1.points }
      .prefix(5)
      .map { unitName, contribution in
        Safemap_Assessment_V1_CriterionContribution.with {
          $0.criterionCode = contribution.criterion
          $0.title = titles[contribution.criterion] ?? ""
          $0.optionCode = contribution.option
          $0.points = Int32(contribution.points)
          $0.unitName = unitName
        }
      }
    let unitsJSON = try Safemap_Assessment_V1_UnitResult.jsonString(from: unitResults)
    let topJSON = try Safemap_Assessment_V1_CriterionContribution.jsonString(from: top)
    let submittedBy = UUID(uuidString: principal.accountID)
    let version = catalogue.version
    let prefix = kind == "WORKPLACE" ? "workplace" : "dormitory"

    let (stored, replayed) = try await database.withTenantTransaction(
      tenant, cancellation: context.cancellation
    ) { connection -> (Safemap_Assessment_V1_Assessment, Bool) in
      let id = UUID()
      let inserted = try await connection.query(
        """
        INSERT INTO assessments (province_code, assessment_id, facility_id, kind, catalogue_version,
          request_id, units, score, max_points, index_percent, risk_level, map_level, top_criteria,
          submitted_by, valid_until)
        VALUES (\(tenant.code), \(id), \(facilityUUID), \(kind), \(Int(version)), \(requestID),
          \(unitsJSON)::jsonb, \(worst.score), \(worst.maxPoints), \(worst.indexPercent),
          \(worst.riskLevel.rawValue), \(worst.mapLevel.rawValue), \(topJSON)::jsonb, \(submittedBy),
          now() + make_interval(days => coalesce(
            (SELECT validity_days FROM province_settings WHERE province_code = \(tenant.code)),
            \(Int(Self.defaultValidityDays))::int)))
        ON CONFLICT (province_code, facility_id, request_id) DO NOTHING
        RETURNING \(unescaped: AssessmentRecord.columns)
        """, logger: connection.logger)
      var fresh: Safemap_Assessment_V1_Assessment?
      for try await row in inserted { fresh = try AssessmentRecord.decode(row) }
      guard let fresh else {
        // A duplicate that raced us committed first: return its result.
        guard let first = try await AssessmentRecord.find(facility: facilityUUID, requestID: requestID, on: connection)
        else { throw RPCError(code: .aborted, message: "concurrent duplicate; retry") }
        return (first, true)
      }
      try await connection.query(
        """
        INSERT INTO facility_status (province_code, facility_id, \(unescaped: prefix)_assessment_id,
          \(unescaped: prefix)_map_level, \(unescaped: prefix)_risk_level,
          \(unescaped: prefix)_index_percent, \(unescaped: prefix)_submitted_at,
          \(unescaped: prefix)_valid_until)
        VALUES (\(tenant.code), \(facilityUUID), \(id), \(worst.mapLevel.rawValue),
          \(worst.riskLevel.rawValue), \(worst.indexPercent), \(fresh.submitTime.date),
          \(fresh.validUntil.date))
        ON CONFLICT (province_code, facility_id) DO UPDATE SET
          \(unescaped: prefix)_assessment_id = excluded.\(unescaped: prefix)_assessment_id,
          \(unescaped: prefix)_map_level = excluded.\(unescaped: prefix)_map_level,
          \(unescaped: prefix)_risk_level = excluded.\(unescaped: prefix)_risk_level,
          \(unescaped: prefix)_index_percent = excluded.\(unescaped: prefix)_index_percent,
          \(unescaped: prefix)_submitted_at = excluded.\(unescaped: prefix)_submitted_at,
          \(unescaped: prefix)_valid_until = excluded.\(unescaped: prefix)_valid_until,
          updated_at = now()
        """, logger: connection.logger)
      return (fresh, false)
    }
    return .with {
      $0.assessment = stored
      $0.replayed = replayed
    }
  }

  public func getAssessment(
    request: Safemap_Assessment_V1_GetAssessmentRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_GetAssessmentResponse {
    let principal = try RequestPrincipal.require()
    let notFound = RPCError(code: .notFound, message: "assessment_id: no such assessment")
    if case .otherProvince = principal.resolveProvince(requested: request.provinceCode) { throw notFound }
    let tenant = try principal.tenant(forRequested: request.provinceCode)
    guard let id = UUID(uuidString: request.assessmentID) else {
      throw RPCError(code: .invalidArgument, message: "assessment_id: not a valid id")
    }
    guard let assessment = try await database.withTenantTransaction(tenant, cancellation: context.cancellation, {
      try await AssessmentRecord.find(id, on: $0)
    }) else { throw notFound }
    // Scope: the caller must be allowed to see the facility (account-service decides).
    do {
      _ = try await facilities.profile(province: tenant.code, facilityID: assessment.facilityID)
    } catch let error as RPCError where error.code == .notFound {
      throw notFound
    }
    return .with { $0.assessment = assessment }
  }

  public func listAssessments(
    request: Safemap_Assessment_V1_ListAssessmentsRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_ListAssessmentsResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try principal.tenant(forRequested: request.provinceCode)
    let facilityID = request.facilityID.isEmpty && principal.role == .facility ? principal.facilityID : request.facilityID
    guard let facility = UUID(uuidString: facilityID) else {
      throw RPCError(code: .invalidArgument, message: "facility_id: required")
    }
    let limit = try Paging.pageSize(request.pageSize)
    let after = try Paging.afterKey(request.pageToken)
    _ = try await facilities.profile(province: tenant.code, facilityID: facilityID)
    let kind = KindName.sql(request.kind)
    let cursor = after.isEmpty ? nil : after
    let assessments = try await database.withTenantTransaction(tenant, cancellation: context.cancellation) {
      connection in
      // Newest first; the cursor is "<submitted_at as text>|<id>" of the last row.
      let rows = try await connection.query(
        """
        SELECT \(unescaped: AssessmentRecord.columns), submitted_at::text AS cursor_time FROM assessments
        WHERE province_code = \(tenant.code) AND facility_id = \(facility)
          AND (\(kind)::text IS NULL OR kind = \(kind))
          AND (\(cursor)::text IS NULL OR (submitted_at, assessment_id::text) <
               (split_part(\(cursor)::text, '|', 1)::timestamptz, split_part(\(cursor)::text, '|', 2)))
        ORDER BY submitted_at DESC, assessment_id::text DESC LIMIT \(limit)
        """, logger: connection.logger)
      var result: [(Safemap_Assessment_V1_Assessment, String)] = []
      for try await row in rows {
        let assessment = try AssessmentRecord.decode(row)
        let time = try row.makeRandomAccess()[16].decode(String.self)
        result.append((assessment, time + "|" + assessment.assessmentID))
      }
      return result
    }
    return .with {
      $0.assessments = assessments.map(\.0)
      $0.nextPageToken = Paging.nextToken(lastKey: assessments.last?.1, pageWasFull: assessments.count == limit)
    }
  }
}
