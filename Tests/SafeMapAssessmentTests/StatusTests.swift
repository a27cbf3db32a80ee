import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapClient
import SafeMapCore
import SafeMapRuntime
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@Suite("Current status")
struct StatusTests {
  static func dormitoryAnswers(_ overrides: [String: String]) -> [Safemap_Assessment_V1_Answer] {
    AssessmentAnswers.dormitory(overrides)
  }

  static func status(
    _ bed: AssessmentTestBed,
    of facility: Safemap_Account_V1_Facility
  ) async throws -> Safemap_Assessment_V1_FacilityStatus {
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    return try await bed.assessments {
      try await $0.getFacilityStatus(
        .with { $0.facilityID = facility.facilityID },
        metadata: officer
      )
    }.status
  }

  /// One database connection, so both kinds' statements are prepared on the same session.
  @Test("the status is the worse of both kinds, and each kind's submission keeps the other's")
  func worseOfBothKinds() async throws {
    let bed = try await AssessmentTestBed.start(databaseConnections: 1)
    let (facility, token) = try await bed.registerFacility(taxCode: "2500400001", residents: 120)

    #expect(try await Self.status(bed, of: facility).mapLevel == .notAssessed)
    let workplace = try await bed.submit(.workplace, SubmissionTests.answers(), as: token)
    #expect(workplace.mapLevel == .safe)
    #expect(try await Self.status(bed, of: facility).mapLevel == .safe)

    // 5 (120 residents) + 15 + 10 + 10 of 100 points: MEDIUM, AT_RISK.
    let dormitory = try await bed.submit(
      .dormitory,
      Self.dormitoryAnswers(["DR2": "DR2.2", "DR3": "DR3.2", "DR4": "DR4.2"]),
      as: token
    )
    #expect(dormitory.indexPercent == 40 && dormitory.mapLevel == .atRisk)
    var current = try await Self.status(bed, of: facility)
    #expect(current.mapLevel == .atRisk)
    #expect(current.workplace.assessmentID == workplace.assessmentID)
    #expect(current.dormitory.assessmentID == dormitory.assessmentID)

    let again = try await bed.submit(.workplace, SubmissionTests.answers(), as: token)
    current = try await Self.status(bed, of: facility)
    #expect(current.workplace.assessmentID == again.assessmentID)
    #expect(current.dormitory.assessmentID == dormitory.assessmentID)
    #expect(current.mapLevel == .atRisk)
    try await bed.assessment.stop()
    try await bed.account.stop()
  }

  @Test("validity follows the province's setting; a stale result is OVERDUE unless in grace")
  func validityAndOverdue() async throws {
    let bed = try await AssessmentTestBed.start()
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    @Sendable func settle(_ path: String, _ value: Int32) async throws {
      _ = try await bed.assessments {
        try await $0.updateProvinceSettings(
          .with {
            $0.settings = .with {
              $0.validityDays = value
              $0.overdueGraceDays = value
            }
            $0.updateMask = .with { $0.paths = [path] }
          },
          metadata: officer
        )
      }
    }
    try await settle("validity_days", 14)
    let (facility, token) = try await bed.registerFacility(taxCode: "2500400002")
    let assessment = try await bed.submit(.workplace, SubmissionTests.answers(), as: token)
    #expect(assessment.validUntil.seconds - assessment.submitTime.seconds == 14 * 86_400)
    var status = try await Self.status(bed, of: facility)
    #expect(status.mapLevel == .safe && !status.workplace.overdue)
    #expect(status.workplace.validUntil == assessment.validUntil)

    // A fortnight and an hour later (moved in the database: no RPC moves time).
    try await bed.superuser(
      """
      UPDATE facility_status SET workplace_valid_until = now() - interval '1 hour'
      WHERE facility_id = '\(facility.facilityID)'
      """
    )
    status = try await Self.status(bed, of: facility)
    #expect(status.mapLevel == .overdue && status.workplace.overdue)
    #expect(status.workplace.mapLevel == .safe)

    try await settle("overdue_grace_days", 1)
    status = try await Self.status(bed, of: facility)
    #expect(status.mapLevel == .safe && !status.workplace.overdue)
    try await bed.assessment.stop()
    try await bed.account.stop()
  }
}
