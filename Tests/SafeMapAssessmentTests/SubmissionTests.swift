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

/// Submissions end to end: account-service holds the facility, assessment-service fetches its
/// profile over gRPC with the caller's token, scores, and writes history and status together.
@Suite("Submissions, status and inspections")
struct SubmissionTests {
  struct World: Sendable {
    let bed: AssessmentTestBed
    let officer: Metadata
    let facility: Safemap_Account_V1_IssuanceResult
    let facilityToken: Metadata
    let dormitoryFacility: Safemap_Account_V1_IssuanceResult
    /// Submitted to by one test only, so its status is predictable.
    let statusFacility: Safemap_Account_V1_IssuanceResult
    /// Used only by the inspection test.
    let inspectedFacility: Safemap_Account_V1_IssuanceResult
  }

  static let officer = TestPrincipals.provinceOfficer("25")

  static let world = Task { () throws -> World in
    let bed = try await AssessmentTestBed.start()
    let officer = try await TestKeys.metadata(for: Self.officer)
    let issued = try await withLocalClient(port: bed.account.port) { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client).issueFacilityAccounts(
        metadata: officer,
        requestProducer: { writer in
          try await writer.write(.with { $0.options = .init() })
          for (n, tax) in ["2500000001", "2500000002", "2500000003", "2500000004", "2500000005"]
            .enumerated()
          {
            try await writer.write(
              .with {
                $0.row = .with { row in
                  row.rowNumber = Int32(n + 1)
                  row.facility = .with {
                    $0.name = "Nhà máy \(n)"
                    $0.taxCode = tax
                    $0.districtCode = "227"
                    $0.workerCount = 420
                    $0.workshopAreaM2 = 2500
                    $0.hasDormitory_p = n == 1
                    $0.dormitoryResidents = n == 1 ? 120 : 0
                  }
                }
              }
            )
          }
        }
      ) { response in
        var results: [Safemap_Account_V1_IssuanceResult] = []
        for try await message in response.messages {
          if case .result(let result) = message.item { results.append(result) }
        }
        return results
      }
    }
    return World(
      bed: bed,
      officer: officer,
      facility: issued[0],
      facilityToken: try await token(for: issued[0]),
      dormitoryFacility: issued[1],
      statusFacility: issued[3],
      inspectedFacility: issued[4]
    )
  }

  static func token(for issued: Safemap_Account_V1_IssuanceResult) async throws -> Metadata {
    try await TestKeys.metadata(
      for: Principal(
        accountID: UUID().uuidString.lowercased(),
        username: issued.username,
        role: .facility,
        provinceCode: "25",
        facilityID: issued.facilityID
      )
    )
  }

  static func answers(_ overrides: [String: String] = [:]) -> [Safemap_Assessment_V1_Answer] {
    AssessmentAnswers.workplace(overrides)
  }

  static func submit(
    _ world: World,
    requestID: String = UUID().uuidString,
    units: [Safemap_Assessment_V1_AssessmentUnit],
    as caller: Metadata? = nil,
    kind: Safemap_Common_V1_AssessmentKind = .workplace
  ) async throws -> Safemap_Assessment_V1_SubmitAssessmentResponse {
    let caller = caller ?? world.facilityToken
    return try await world.bed.assessments {
      try await $0.submitAssessment(
        .with {
          $0.requestID = requestID; $0.kind = kind; $0.units = units
        },
        metadata: caller
      )
    }
  }

  @Test("a clean workplace is SAFE; CS1 and CS2 come from the profile; the status follows")
  func safeSubmission() async throws {
    let w = try await Self.world.value
    let response = try await Self.submit(
      w,
      units: [
        .with {
          $0.unitName = "Xưởng 1"; $0.answers = Self.answers()
        }
      ],
      as: try await Self.token(for: w.statusFacility)
    )
    let a = response.assessment
    #expect(!response.replayed)
    #expect(a.score == 4 && a.maxPoints == 300)
    #expect(a.riskLevel == .veryLow && a.mapLevel == .safe)
    #expect(a.units[0].answers.first { $0.criterionCode == "CS1" }?.optionCode == "CS1.200_499")
    #expect(a.units[0].answers.first { $0.criterionCode == "CS2" }?.optionCode == "CS2.GE1")
    #expect(a.topCriteria.first?.criterionCode == "CS1")
    #expect(a.catalogueVersion == 1)
    let status = try await w.bed.assessments {
      try await $0.getFacilityStatus(
        .with { $0.facilityID = w.statusFacility.facilityID },
        metadata: w.officer
      )
    }.status
    #expect(status.mapLevel == .safe)
    #expect(status.workplace.assessmentID == a.assessmentID)
  }

  @Test("the worst unit decides and a knock-out option forces UNSAFE")
  func unitsAndKnockOut() async throws {
    let w = try await Self.world.value
    let a = try await Self.submit(
      w,
      units: [
        .with {
          $0.unitName = "Xưởng may"; $0.answers = Self.answers()
        },
        .with {
          $0.unitName = "Xưởng cắt"; $0.answers = Self.answers(["CS3": "CS3.F0"])
        },
      ]
    ).assessment
    #expect(a.mapLevel == .unsafe)
    #expect(a.units.map(\.unitName) == ["Xưởng may", "Xưởng cắt"])
    #expect(a.units[1].knockedOutBy == ["CS3"])
    // 34 of 300 points is 11.33 %: VERY_LOW by the score, UNSAFE by the knock-out.
    #expect(a.units[1].riskLevel == .veryLow)
    #expect(a.score == 34)
  }

  @Test("every invalid answer is listed, and answers that contradict the profile are refused")
  func invalidAnswers() async throws {
    let w = try await Self.world.value
    var answers = Self.answers()
    answers.removeFirst()
    answers[0].optionCode = "CS4.99"
    answers.append(
      .with {
        $0.criterionCode = "CS1"; $0.optionCode = "CS1.LT50"
      }
    )
    let bad = answers
    do {
      _ = try await Self.submit(
        w,
        units: [
          .with {
            $0.unitName = "X"; $0.answers = bad
          }
        ]
      )
      Issue.record("accepted invalid answers")
    } catch let error as RPCError {
      #expect(error.code == .invalidArgument)
      #expect(error.message.contains("CS3 is not answered"))
      #expect(error.message.contains("units[0].answers[0].option_code"))
      #expect(error.message.contains("contradicts the facility profile"))
    }
    await expectCode(.invalidArgument, mentioning: "units[0].unit_name: at most 200") {
      try await Self.submit(
        w,
        units: [
          .with {
            $0.unitName = String(repeating: "x", count: 300); $0.answers = Self.answers()
          }
        ]
      )
    }
    await expectCode(.invalidArgument, mentioning: "request_id") {
      try await Self.submit(
        w,
        requestID: "",
        units: [
          .with {
            $0.unitName = "X"; $0.answers = Self.answers()
          }
        ]
      )
    }
  }

  @Test("a submission wrong everywhere is still INVALID_ARGUMENT, its message bounded")
  func manyViolations() async throws {
    let w = try await Self.world.value
    let units: [Safemap_Assessment_V1_AssessmentUnit] = (0..<100).map { n in
      .with {
        $0.unitName = "Dây chuyền \(n)"
        $0.answers = (0..<20).map { a in
          .with {
            $0.criterionCode = "CS\(a + 3)"
            $0.optionCode = "không có \(a)"
          }
        }
      }
    }
    do {
      _ = try await Self.submit(w, units: units)
      Issue.record("accepted 100 units of invalid answers")
    } catch let error as RPCError {
      #expect(error.code == .invalidArgument)
      #expect(error.message.hasPrefix("units[0]"))
      #expect(error.message.utf8.count <= FieldViolations.messageBudget)
      #expect(error.message.hasSuffix("more violations"))
    }
  }

  @Test("the same request id returns the first result; concurrent duplicates store one row")
  func idempotency() async throws {
    let w = try await Self.world.value
    let units: [Safemap_Assessment_V1_AssessmentUnit] = [
      .with {
        $0.unitName = "A"; $0.answers = Self.answers()
      }
    ]
    let first = try await Self.submit(w, requestID: "once", units: units)
    let again = try await Self.submit(w, requestID: "once", units: units)
    #expect(again.replayed && again.assessment.assessmentID == first.assessment.assessmentID)

    let results = try await withThrowingTaskGroup(
      of: Safemap_Assessment_V1_SubmitAssessmentResponse.self
    ) { group in
      for _ in 0..<8 { group.addTask { try await Self.submit(w, requestID: "race", units: units) } }
      var all: [Safemap_Assessment_V1_SubmitAssessmentResponse] = []
      for try await result in group { all.append(result) }
      return all
    }
    #expect(Set(results.map(\.assessment.assessmentID)).count == 1)
    #expect(results.filter { !$0.replayed }.count == 1)
    let history = try await w.bed.assessments {
      try await $0.listAssessments(.with { $0.pageSize = 1000 }, metadata: w.facilityToken)
    }.assessments
    #expect(history.filter { $0.requestID == "race" }.count == 1)
    #expect(history.map(\.submitTime.seconds) == history.map(\.submitTime.seconds).sorted(by: >))
  }

  @Test("history and inspections page newest first, every row once")
  func paging() async throws {
    let w = try await Self.world.value
    let (facility, token) = try await w.bed.registerFacility(taxCode: "2500500001")
    var submitted: [String] = []
    for _ in 0..<5 {
      submitted.append(
        try await Self.submit(
          w,
          units: [
            .with {
              $0.unitName = "A"; $0.answers = Self.answers()
            }
          ],
          as: token
        ).assessment.assessmentID
      )
    }
    for day in 1...3 {
      _ = try await w.bed.assessments {
        try await $0.recordInspection(
          .with {
            $0.facilityID = facility.facilityID
            $0.inspectionDate = .with {
              $0.year = 2021; $0.month = 9; $0.day = Int32(day)
            }
            $0.levelFound = .safe
            $0.inspectorName = "Đoàn \(day)"
          },
          metadata: w.officer
        )
      }
    }

    var pages: [[String]] = []
    var pageToken = ""
    repeat {
      let cursor = pageToken
      let page = try await w.bed.assessments {
        try await $0.listAssessments(
          .with {
            $0.pageSize = 2; $0.pageToken = cursor
          },
          metadata: token
        )
      }
      pages.append(page.assessments.map(\.assessmentID))
      pageToken = page.nextPageToken
    } while !pageToken.isEmpty && pages.count < 10
    #expect(pages.map(\.count) == [2, 2, 1])
    #expect(pages.flatMap { $0 } == submitted.reversed())

    let first = try await w.bed.assessments {
      try await $0.listInspections(
        .with {
          $0.facilityID = facility.facilityID; $0.pageSize = 2
        },
        metadata: w.officer
      )
    }
    let cursor = first.nextPageToken
    let second = try await w.bed.assessments {
      try await $0.listInspections(
        .with {
          $0.facilityID = facility.facilityID; $0.pageSize = 2; $0.pageToken = cursor
        },
        metadata: w.officer
      )
    }
    #expect(first.inspections.map(\.inspectorName) == ["Đoàn 3", "Đoàn 2"])
    #expect(second.inspections.map(\.inspectorName) == ["Đoàn 1"])
    #expect(second.nextPageToken.isEmpty)
    await expectCode(.invalidArgument, mentioning: "page_token") {
      try await w.bed.assessments {
        try await $0.listAssessments(.with { $0.pageToken = "not-a-token" }, metadata: token)
      }
    }
  }

  @Test("only the facility itself submits, only while active, dormitory only if it has one")
  func submissionScope() async throws {
    let w = try await Self.world.value
    let units: [Safemap_Assessment_V1_AssessmentUnit] = [
      .with {
        $0.unitName = "A"; $0.answers = Self.answers()
      }
    ]
    await expectCode(.permissionDenied) { try await Self.submit(w, units: units, as: w.officer) }
    await expectCode(.permissionDenied, mentioning: "facility_id") {
      try await w.bed.assessments {
        try await $0.submitAssessment(
          .with {
            $0.requestID = "x"; $0.kind = .workplace;
            $0.facilityID = w.dormitoryFacility.facilityID; $0.units = units
          },
          metadata: w.facilityToken
        )
      }
    }
    await expectCode(.failedPrecondition, mentioning: "dormitory") {
      try await Self.submit(w, units: [.with { $0.unitName = "KTX" }], kind: .dormitory)
    }
    let dormToken = try await Self.token(for: w.dormitoryFacility)
    let dorm = try await Self.submit(
      w,
      units: [
        .with {
          $0.unitName = "KTX"
          $0.answers = StatusTests.dormitoryAnswers([:])
        }
      ],
      as: dormToken,
      kind: .dormitory
    ).assessment
    #expect(dorm.units[0].answers.first { $0.criterionCode == "DR1" }?.optionCode == "DR1.50_199")

    // Suspended: no submissions.
    let third = try await withLocalClient(port: w.bed.account.port) { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client).listFacilities(
        .with { $0.query = "2500000003" },
        metadata: w.officer
      )
    }.facilities[0]
    _ = try await withLocalClient(port: w.bed.account.port) { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client).setOperatingStatus(
        .with {
          $0.facilityID = third.facilityID; $0.status = .suspended; $0.reason = "Tạm dừng"
        },
        metadata: w.officer
      )
    }
    let suspendedToken = try await TestKeys.metadata(
      for: Principal(
        accountID: UUID().uuidString,
        username: third.taxCode,
        role: .facility,
        provinceCode: "25",
        facilityID: third.facilityID
      )
    )
    await expectCode(.failedPrecondition, mentioning: "not active") {
      try await Self.submit(w, units: units, as: suspendedToken)
    }
  }

  @Test("an inspection that finds a self-assessed SAFE facility UNSAFE is flagged")
  func inspectionMismatch() async throws {
    let w = try await Self.world.value
    let facilityToken = try await Self.token(for: w.inspectedFacility)
    _ = try await Self.submit(
      w,
      units: [
        .with {
          $0.unitName = "A"; $0.answers = Self.answers()
        }
      ],
      as: facilityToken
    )
    let inspector = try await TestKeys.metadata(for: TestPrincipals.healthInspector("25"))
    await expectCode(.permissionDenied) {
      try await w.bed.assessments {
        try await $0.recordInspection(
          .with { $0.facilityID = w.inspectedFacility.facilityID },
          metadata: facilityToken
        )
      }
    }
    await expectCode(.invalidArgument, mentioning: "inspection_date") {
      try await w.bed.assessments {
        try await $0.recordInspection(
          .with {
            $0.facilityID = w.inspectedFacility.facilityID; $0.levelFound = .unsafe;
            $0.inspectorName = "Đoàn 1"
          },
          metadata: inspector
        )
      }
    }
    let inspection = try await w.bed.assessments {
      try await $0.recordInspection(
        .with {
          $0.facilityID = w.inspectedFacility.facilityID; $0.levelFound = .unsafe;
          $0.inspectorName = "Đoàn kiểm tra 1"
          $0.findings = "Không giãn cách tại nhà ăn";
          $0.inspectionDate = .with {
            $0.year = 2021; $0.month = 9; $0.day = 1
          }
        },
        metadata: inspector
      )
    }.inspection
    let status = try await w.bed.assessments {
      try await $0.getFacilityStatus(
        .with { $0.facilityID = w.inspectedFacility.facilityID },
        metadata: inspector
      )
    }.status
    #expect(status.latestInspection.inspectionID == inspection.inspectionID)
    #expect(status.inspectionNewer)
    #expect(status.selfAssessedSafeInspectedUnsafe)
    let listed = try await w.bed.assessments {
      try await $0.listInspections(
        .with { $0.facilityID = w.inspectedFacility.facilityID },
        metadata: inspector
      )
    }.inspections
    #expect(listed.map(\.inspectionID) == [inspection.inspectionID])
  }

  @Test("reads follow the caller's scope: another province or district gets NOT_FOUND")
  func readScope() async throws {
    let w = try await Self.world.value
    let otherProvince = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("70"))
    let otherDistrict = try await TestKeys.metadata(
      for: Principal(
        accountID: UUID().uuidString,
        username: "ubnd",
        role: .districtOfficer,
        provinceCode: "25",
        districtCode: "230"
      )
    )
    for caller in [otherProvince, otherDistrict] {
      await expectCode(.notFound) {
        try await w.bed.assessments {
          try await $0.getFacilityStatus(
            .with {
              $0.provinceCode = "25"; $0.facilityID = w.facility.facilityID
            },
            metadata: caller
          )
        }
      }
    }
    let sameDistrict = try await TestKeys.metadata(
      for: Principal(
        accountID: UUID().uuidString,
        username: "ubnd",
        role: .districtOfficer,
        provinceCode: "25",
        districtCode: "227"
      )
    )
    _ = try await w.bed.assessments {
      try await $0.getFacilityStatus(
        .with { $0.facilityID = w.facility.facilityID },
        metadata: sameDistrict
      )
    }
  }
}
