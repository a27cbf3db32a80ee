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
    let limit = try Paging.pageSize(request.pageSize)
    let after = try Paging.afterKey(request.pageToken)
    _ = try await facilities.profile(province: tenant.code, facilityID: facilityID)
    let kind = KindName.sql(request.kind)
    let cursor = after.isEmpty ? nil : after
    let assessments = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) {
      connection in
      // Newest first; the cursor is "<submitted_at as text>|<id>" of the last row.
      let rows = try await connection.query(
        """
        SELECT \(unescaped: AssessmentRecord.columns), submitted_at::text AS cursor_time
        FROM assessments
        WHERE province_code = \(tenant.code) AND facility_id = \(facility)
          AND (\(kind)::text IS NULL OR kind = \(kind))
          AND (\(cursor)::text IS NULL OR (submitted_at, assessment_id::text) <
               (split_part(\(cursor)::text, '|', 1)::timestamptz,
                split_part(\(cursor)::text, '|', 2)))
        ORDER BY submitted_at DESC, assessment_id::text DESC LIMIT \(limit)
        """,
        logger: connection.logger
      )
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
      $0.nextPageToken = Paging.nextToken(
        lastKey: assessments.last?.1,
        pageWasFull: assessments.count == limit
      )
    }
  }
}
