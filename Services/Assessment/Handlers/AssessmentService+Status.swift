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
        inspectionID = try c["inspection_id"].decode(UUID?.self)
        updated = try c["updated_at"].decode(Date.self)
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
}
