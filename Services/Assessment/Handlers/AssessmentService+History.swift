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
  public func getAssessment(
    request: Safemap_Assessment_V1_GetAssessmentRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_GetAssessmentResponse {
    let principal = try RequestPrincipal.require()
    let notFound = RPCError(code: .notFound, message: "assessment_id: no such assessment")
    if case .otherProvince = principal.resolveProvince(requested: request.provinceCode) {
      throw notFound
    }
    let tenant = try principal.tenant(forRequested: request.provinceCode)
    guard let id = UUID(uuidString: request.assessmentID) else {
      throw RPCError(code: .invalidArgument, message: "assessment_id: not a valid id")
    }
    guard
      let assessment = try await database.withTenantTransaction(
        tenant,
        cancellation: context.cancellation,
        {
          try await AssessmentRecord.find(id, province: tenant.code, on: $0)
        }
      )
    else { throw notFound }
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
    let facilityID =
      request.facilityID.isEmpty && principal.role == .facility
      ? principal.facilityID : request.facilityID
    guard let facility = UUID(uuidString: facilityID) else {
      throw RPCError(code: .invalidArgument, message: "facility_id: required")
    }
    let page = try Paging.Page<Paging.TimeKey>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    _ = try await facilities.profile(province: tenant.code, facilityID: facilityID)
    let kind = AssessmentKind(request.kind)?.sql
    let assessments = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) {
      connection in
      // Newest first.
      let rows = try await connection.query(
        """
        SELECT \(unescaped: AssessmentRecord.columns),
          \(unescaped: Paging.TimeKey.select("submitted_at"))
        FROM assessments
        WHERE province_code = \(tenant.code) AND facility_id = \(facility)
          AND (\(kind)::text IS NULL OR kind = \(kind))
          AND \(before: page.after, time: "submitted_at", id: "assessment_id")
        ORDER BY submitted_at DESC, assessment_id::text DESC LIMIT \(page.size)
        """,
        logger: connection.logger
      )
      var result: [(Safemap_Assessment_V1_Assessment, Paging.TimeKey)] = []
      for try await row in rows {
        let assessment = try AssessmentRecord.decode(row)
        result.append((assessment, try Paging.TimeKey(row, id: assessment.assessmentID)))
      }
      return result
    }
    return .with {
      $0.assessments = assessments.map(\.0)
      $0.nextPageToken = page.nextToken(after: assessments.last?.1, count: assessments.count)
    }
  }
}
