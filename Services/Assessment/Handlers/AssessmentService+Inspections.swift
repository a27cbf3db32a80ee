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

/// `RecordInspection` and `ListInspections`: what health inspectors found.
extension AssessmentService {
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
