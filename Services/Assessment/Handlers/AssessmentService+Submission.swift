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

extension AssessmentService {
  /// How many of the highest-scoring criteria an answer lists.
  static let topCriteriaCount = 5
  /// More than any catalogue has criteria; a bound on what one request can make us check.
  static let maxAnswersPerUnit = 200

  /// docs/domain.md. The facility's own account only, for its own active facility;
  /// every answer checked against the catalogue version; CS1/CS2 from the profile; the worst unit
  /// decides. The assessment and the facility's current status are written in one transaction;
  /// the same request id returns the first result, also when duplicates race.
  public func submitAssessment(
    request: Safemap_Assessment_V1_SubmitAssessmentRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_SubmitAssessmentResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.provinceCode) {
      try await submitAssessment(request, principal: principal, context: context)
    }
  }

  private func submitAssessment(
    _ request: Safemap_Assessment_V1_SubmitAssessmentRequest,
    principal: Principal,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_SubmitAssessmentResponse {
    guard AccessPolicy.maySubmitAssessment(principal, facility: principal.facilityID) else {
      throw RPCError(
        code: .permissionDenied,
        message: "only a facility account submits self-assessments"
      )
    }
    let kind = try Self.validateShape(request)
    let facilityID = request.facilityID.isEmpty ? principal.facilityID : request.facilityID
    guard AccessPolicy.maySubmitAssessment(principal, facility: facilityID),
      let facility = UUID(uuidString: facilityID),
      let account = UUID(uuidString: principal.accountID)
    else {
      throw RPCError(
        code: .permissionDenied,
        message: "facility_id: a facility submits only for itself"
      )
    }
    let tenant = try principal.tenant(forRequested: request.provinceCode)
    let requestID = request.requestID
    do {
      return try await submit(
        request,
        kind: kind,
        tenant: tenant,
        facility: facility,
        account: account,
        context: context
      )
    } catch let error as RPCError
      where [.invalidArgument, .failedPrecondition, .notFound].contains(error.code)
    {
      // A refused request may be the replay of one accepted earlier (the catalogue or the
      // facility changed since): the first result wins.
      let first = try await database.withTenantTransaction(
        tenant,
        cancellation: context.cancellation
      ) {
        try await AssessmentRecord.find(
          province: tenant.code,
          facility: facility,
          requestID: requestID,
          on: $0
        )
      }
      guard let first else { throw error }
      return .with {
        $0.assessment = first
        $0.replayed = true
      }
    }
  }

  /// What can be checked without the profile or the catalogue; every violation at once.
  /// Returns the kind's SQL name.
  static func validateShape(
    _ request: Safemap_Assessment_V1_SubmitAssessmentRequest
  ) throws -> String {
    var violations = FieldViolations()
    violations.require(!request.requestID.isEmpty, "request_id", "required (an idempotency key)")
    violations.require(request.requestID.count <= 200, "request_id", "at most 200 characters")
    let kind = AssessmentKind(request.kind)?.sql
    violations.require(kind != nil, "kind", "WORKPLACE or DORMITORY")
    violations.require(!request.units.isEmpty, "units", "at least one unit")
    violations.require(request.units.count <= 100, "units", "at most 100 units")
    var names: Set<String> = []
    for (i, unit) in request.units.enumerated() {
      let field = "units[\(i)]"
      violations.require(!unit.unitName.isEmpty, "\(field).unit_name", "required")
      violations.require(
        unit.unitName.count <= 200,
        "\(field).unit_name",
        "at most 200 characters"
      )
      violations.require(
        unit.unitName.isEmpty || names.insert(unit.unitName).inserted,
        "\(field).unit_name",
        "\(unit.unitName.prefix(200)) appears twice"
      )
      violations.require(
        unit.answers.count <= Self.maxAnswersPerUnit,
        "\(field).answers",
        "at most \(Self.maxAnswersPerUnit) answers"
      )
      // Codes are echoed in the messages about them: keep them short before scoring.
      for (j, answer) in unit.answers.enumerated() {
        violations.require(
          answer.criterionCode.count <= 64,
          "\(field).answers[\(j)].criterion_code",
          "at most 64 characters"
        )
        violations.require(
          answer.optionCode.count <= 64,
          "\(field).answers[\(j)].option_code",
          "at most 64 characters"
        )
      }
    }
    violations.require(
      request.catalogueVersion >= 0,
      "catalogue_version",
      "must not be negative"
    )
    guard violations.isEmpty, let kind else { throw RPCError.invalidArgument(violations) }
    return kind
  }

  /// Validates against the profile and the catalogue, scores, and stores (or finds the first
  /// result of the same request id).
  private func submit(
    _ request: Safemap_Assessment_V1_SubmitAssessmentRequest,
    kind: String,
    tenant: Tenant,
    facility: UUID,
    account: UUID,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_SubmitAssessmentResponse {
    // The profile first: if account-service is unreachable, nothing is written.
    let profile = try await facilities.profile(
      province: tenant.code,
      facilityID: facility.uuidString.lowercased()
    )
    guard profile.operatingStatus == .active else {
      throw RPCError(
        code: .failedPrecondition,
        message: "facility_id: the facility is not active (suspended or closed)"
      )
    }
    if kind == "DORMITORY" && !profile.hasDormitory_p {
      throw RPCError(code: .failedPrecondition, message: "kind: the facility has no dormitory")
    }
    let catalogue = try await activeCatalogue(
      kind: kind,
      requested: request.catalogueVersion,
      cancellation: context.cancellation
    )
    let units = try Self.score(request.units, catalogue: catalogue.scoring, profile: profile)
    guard let worst = Scoring.worst(units) else {
      throw RPCError(code: .invalidArgument, message: "units: at least one unit")
    }

    let draft = Safemap_Assessment_V1_Assessment.with {
      $0.provinceCode = tenant.code
      $0.facilityID = facility.uuidString.lowercased()
      $0.kind = request.kind
      $0.catalogueVersion = catalogue.catalogue.version
      $0.requestID = request.requestID
      $0.units = units.map { Self.unitResult($0, order: catalogue.catalogue.criteria) }
      $0.score = Int32(worst.score)
      $0.maxPoints = Int32(worst.maxPoints)
      $0.indexPercent = worst.indexPercent
      $0.riskLevel = worst.riskLevel.message
      $0.mapLevel = worst.mapLevel.message
      $0.topCriteria = Self.topCriteria(units, titles: catalogue.titles)
      $0.submittedByAccountID = account.uuidString.lowercased()
    }
    let insert = SubmissionStatements.InsertAssessment(
      province: tenant.code,
      facilityID: facility,
      kind: kind,
      catalogueVersion: draft.catalogueVersion,
      requestID: request.requestID,
      unitsJSON: try Safemap_Assessment_V1_UnitResult.jsonString(from: draft.units),
      score: worst.score,
      maxPoints: worst.maxPoints,
      indexPercent: worst.indexPercent,
      riskLevel: worst.riskLevel.rawValue,
      mapLevel: worst.mapLevel.rawValue,
      topCriteriaJSON: try Safemap_Assessment_V1_CriterionContribution.jsonString(
        from: draft.topCriteria
      ),
      submittedBy: account,
      defaultValidityDays: Self.defaultValidityDays
    )

    let (assessment, replayed) = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection -> (Safemap_Assessment_V1_Assessment, Bool) in
      var inserted: SubmissionStatements.InsertAssessment.Row?
      for try await row in try await connection.execute(insert, logger: connection.logger) {
        inserted = row
      }
      guard let inserted else {
        // A duplicate that raced us committed first: return its result.
        guard
          let first = try await AssessmentRecord.find(
            province: tenant.code,
            facility: facility,
            requestID: insert.requestID,
            on: connection
          )
        else { throw RPCError(code: .aborted, message: "concurrent duplicate; retry") }
        return (first, true)
      }
      try await Self.updateStatus(insert, inserted, on: connection)
      var stored = draft
      stored.assessmentID = inserted.assessmentID.uuidString.lowercased()
      stored.submitTime = Google_Protobuf_Timestamp(date: inserted.submittedAt)
      stored.validUntil = Google_Protobuf_Timestamp(date: inserted.validUntil)
      return (stored, false)
    }
    return .with {
      $0.assessment = assessment
      $0.replayed = replayed
    }
  }

  /// The active catalogue of `kind`; a requested version must be that one.
  private func activeCatalogue(
    kind: String,
    requested: Int32,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws -> ScorableCatalogue {
    guard
      let found = try await catalogues.find(
        kind: kind,
        version: requested == 0 ? nil : requested,
        database: database,
        cancellation: cancellation
      )
    else {
      throw RPCError(code: .notFound, message: "catalogue_version: no such \(kind) catalogue")
    }
    guard found.catalogue.state == .active else {
      throw RPCError(
        code: .failedPrecondition,
        message: "catalogue_version: version \(found.catalogue.version) is not the active one"
      )
    }
    return found
  }

  /// Every unit scored, or INVALID_ARGUMENT listing the violations of all units.
  static func score(
    _ units: [Safemap_Assessment_V1_AssessmentUnit],
    catalogue: ScoringCatalogue,
    profile: Safemap_Account_V1_Facility
  ) throws -> [UnitScore] {
    let facts = FacilityProfile(
      workerCount: Int(profile.workerCount),
      workshopAreaM2: profile.workshopAreaM2,
      dormitoryResidents: Int(profile.dormitoryResidents)
    )
    var violations = FieldViolations()
    var scored: [UnitScore] = []
    for (i, unit) in units.enumerated() {
      let result = Scoring.score(
        unitName: unit.unitName,
        answers: unit.answers.map { ($0.criterionCode, $0.optionCode) },
        catalogue: catalogue,
        profile: facts,
        field: "units[\(i)]"
      )
      switch result {
      case .success(let score): scored.append(score)
      case .failure(let found): for v in found.all { violations.add(v.field, v.description) }
      }
    }
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    return scored
  }

  /// A unit's answers in catalogue order, with its result.
  static func unitResult(
    _ unit: UnitScore,
    order criteria: [Safemap_Assessment_V1_Criterion]
  ) -> Safemap_Assessment_V1_UnitResult {
    .with {
      $0.unitName = unit.unitName
      $0.answers = criteria.compactMap { criterion in
        unit.answers[criterion.code].map { option in
          .with {
            $0.criterionCode = criterion.code
            $0.optionCode = option
          }
        }
      }
      $0.score = Int32(unit.score)
      $0.indexPercent = unit.indexPercent
      $0.riskLevel = unit.riskLevel.message
      $0.mapLevel = unit.mapLevel.message
      $0.knockedOutBy = unit.knockedOutBy
    }
  }

  /// The criteria that contributed most, across all units, largest first.
  static func topCriteria(
    _ units: [UnitScore],
    titles: [String: String]
  ) -> [Safemap_Assessment_V1_CriterionContribution] {
    units.flatMap { unit in unit.contributions.map { (unit.unitName, $0) } }
      .sorted { $0.1.points > $1.1.points }
      .prefix(topCriteriaCount)
      .map { unitName, contribution in
        .with {
          $0.criterionCode = contribution.criterion
          $0.title = titles[contribution.criterion] ?? ""
          $0.optionCode = contribution.option
          $0.points = Int32(contribution.points)
          $0.unitName = unitName
        }
      }
  }

  /// Points the facility's current status of the assessment's kind at the new row.
  static func updateStatus(
    _ insert: SubmissionStatements.InsertAssessment,
    _ inserted: SubmissionStatements.InsertAssessment.Row,
    on connection: PostgresConnection
  ) async throws {
    func statement<C: SubmissionStatements.StatusColumns>(_: C.Type)
      -> SubmissionStatements.UpdateStatus<C>
    {
      .init(
        province: insert.province,
        facilityID: insert.facilityID,
        assessmentID: inserted.assessmentID,
        mapLevel: insert.mapLevel,
        riskLevel: insert.riskLevel,
        indexPercent: insert.indexPercent,
        submittedAt: inserted.submittedAt,
        validUntil: inserted.validUntil
      )
    }
    if insert.kind == "DORMITORY" {
      _ = try await connection.execute(
        statement(SubmissionStatements.Dormitory.self),
        logger: connection.logger
      )
    } else {
      _ = try await connection.execute(
        statement(SubmissionStatements.Workplace.self),
        logger: connection.logger
      )
    }
  }
}
