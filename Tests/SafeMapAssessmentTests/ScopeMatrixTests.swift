import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapCore
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// Every RPC of AssessmentService against every kind of caller (docs/domain.md): the ministry,
/// officers of the facility's province and of another one, district and zone officers inside
/// and outside the facility's district or zone, health inspectors of both provinces, the
/// facility itself and another facility. Every request names Phú Thọ (25), as a client acting
/// on that province would; the target is facility A (Việt Trì district, KCN Thụy Vân).
@Suite("Scope of every AssessmentService RPC")
struct ScopeMatrixTests {
  enum Outcome: String, Sendable {
    case ok = "OK"
    case permissionDenied = "PERMISSION_DENIED"
    case notFound = "NOT_FOUND"
  }

  enum Caller: String, CaseIterable, Sendable {
    case ministry, officer25, officer70, district227, district230, zone, otherZone
    case inspector25, inspector70, facilityA, facilityB
  }

  struct World: Sendable {
    let bed: AssessmentTestBed
    let tokens: [Caller: Metadata]
    let facilityA: String
    let assessmentID: String
    let catalogue: Safemap_Assessment_V1_Catalogue
  }

  static let world = Task { () throws -> World in
    let bed = try await AssessmentTestBed.start()
    let officer25 = TestPrincipals.provinceOfficer("25")
    let officer70 = TestPrincipals.provinceOfficer("70")
    let asOfficer25 = try await TestKeys.metadata(for: officer25)
    let zones = try await bed.facilities { facilities in
      var ids: [String] = []
      for (name, district) in [("KCN Thụy Vân", "227"), ("CCN Sóc Đăng", "230")] {
        ids.append(
          try await facilities.createZone(
            .with {
              $0.zone = .with {
                $0.name = name
                $0.zoneType = .industrialZone
                $0.districtCode = district
              }
            },
            metadata: asOfficer25
          ).zone.zoneID
        )
      }
      return ids
    }
    let registered = try await bed.facilities { facilities in
      var ids: [String] = []
      for (tax, district, zone) in [("2500300001", "227", zones[0]), ("2500300002", "230", "")] {
        ids.append(
          try await facilities.registerFacility(
            .with {
              $0.facility = .with {
                $0.name = "Cơ sở \(tax)"
                $0.taxCode = tax
                $0.districtCode = district
                $0.zoneID = zone
                $0.workerCount = 420
                $0.workshopAreaM2 = 2_500
              }
            },
            metadata: asOfficer25
          ).facility.facilityID
        )
      }
      return ids
    }
    func person(_ role: Role, _ province: String, district: String = "", zone: String = "")
      -> Principal
    {
      Principal(
        accountID: UUID().uuidString.lowercased(),
        username: "\(role.rawValue)-\(province)",
        role: role,
        provinceCode: province,
        districtCode: district,
        zoneID: zone
      )
    }
    func facility(_ id: String) -> Principal {
      Principal(
        accountID: UUID().uuidString.lowercased(),
        username: "f-\(id.prefix(8))",
        role: .facility,
        provinceCode: "25",
        facilityID: id
      )
    }
    let principals: [Caller: Principal] = [
      .ministry: TestPrincipals.ministry,
      .officer25: officer25,
      .officer70: officer70,
      .district227: person(.districtOfficer, "25", district: "227"),
      .district230: person(.districtOfficer, "25", district: "230"),
      .zone: person(.zoneOfficer, "25", zone: zones[0]),
      .otherZone: person(.zoneOfficer, "25", zone: zones[1]),
      .inspector25: TestPrincipals.healthInspector("25"),
      .inspector70: TestPrincipals.healthInspector("70"),
      .facilityA: facility(registered[0]),
      .facilityB: facility(registered[1]),
    ]
    var tokens: [Caller: Metadata] = [:]
    for (caller, principal) in principals {
      tokens[caller] = try await TestKeys.metadata(for: principal)
    }
    let frozen = tokens
    let assessment = try await bed.assessments {
      try await $0.submitAssessment(
        ScopeMatrixTests.submission(facility: registered[0]),
        metadata: frozen[.facilityA]!
      )
    }.assessment
    let catalogue = try await bed.assessments {
      try await $0.getCatalogue(.with { $0.kind = .workplace }, metadata: frozen[.ministry]!)
    }.catalogue
    return World(
      bed: bed,
      tokens: tokens,
      facilityA: registered[0],
      assessmentID: assessment.assessmentID,
      catalogue: catalogue
    )
  }

  static func submission(facility: String) -> Safemap_Assessment_V1_SubmitAssessmentRequest {
    .with {
      $0.provinceCode = "25"
      $0.facilityID = facility
      $0.requestID = UUID().uuidString
      $0.kind = .workplace
      $0.units = [
        .with {
          $0.unitName = "Xưởng"
          $0.answers = (3...15).map { n in
            .with {
              $0.criterionCode = "CS\(n)"
              $0.optionCode = n == 3 ? "CS3.NONE" : "CS\(n).0"
            }
          }
        }
      ]
    }
  }

  /// One row of the matrix: the call, and what each caller gets.
  struct Row: Sendable, CustomTestStringConvertible {
    let rpc: String
    let expected: [Caller: Outcome]
    let call: @Sendable (World, Metadata) async throws -> Void

    var testDescription: String { rpc }

    /// `everyone` unless named in `except`.
    init(
      _ rpc: String,
      everyone: Outcome,
      except: [Caller: Outcome] = [:],
      call: @escaping @Sendable (World, Metadata) async throws -> Void
    ) {
      self.rpc = rpc
      self.expected = Dictionary(
        uniqueKeysWithValues: Caller.allCases.map { ($0, except[$0] ?? everyone) }
      )
      self.call = call
    }
  }

  /// Reads of one facility's data: its own province, district or zone, or the facility.
  static let facilityReaders: [Caller: Outcome] = [
    .ministry: .ok, .officer25: .ok, .district227: .ok, .zone: .ok, .inspector25: .ok,
    .facilityA: .ok,
  ]

  /// A province-scoped caller naming another province is refused before anything is looked up.
  static let otherProvinceDenied: [Caller: Outcome] = [
    .officer70: .permissionDenied, .inspector70: .permissionDenied,
  ]

  static let rows: [Row] = [
    Row("GetCatalogue", everyone: .ok) { w, caller in
      _ = try await w.bed.assessments {
        try await $0.getCatalogue(.with { $0.kind = .dormitory }, metadata: caller)
      }
    },
    Row("ListCatalogues", everyone: .ok) { w, caller in
      _ = try await w.bed.assessments { try await $0.listCatalogues(.init(), metadata: caller) }
    },
    Row("ImportCatalogue", everyone: .permissionDenied, except: [.ministry: .ok]) { w, caller in
      var draft = w.catalogue
      draft.title = "Bộ tiêu chí nơi làm việc – bản thảo"
      let candidate = draft
      _ = try await w.bed.assessments {
        try await $0.importCatalogue(
          .with {
            $0.catalogue = candidate
            $0.requestID = "scope-matrix-draft"
          },
          metadata: caller
        )
      }
    },
    Row("ActivateCatalogue", everyone: .permissionDenied, except: [.ministry: .ok]) { w, caller in
      let version = w.catalogue.version
      _ = try await w.bed.assessments {
        try await $0.activateCatalogue(
          .with {
            $0.kind = .workplace
            $0.version = version
          },
          metadata: caller
        )
      }
    },
    Row("SubmitAssessment", everyone: .permissionDenied, except: [.facilityA: .ok]) {
      w,
      caller in
      _ = try await w.bed.assessments {
        try await $0.submitAssessment(submission(facility: w.facilityA), metadata: caller)
      }
    },
    Row("GetAssessment", everyone: .notFound, except: facilityReaders) { w, caller in
      _ = try await w.bed.assessments {
        try await $0.getAssessment(
          .with {
            $0.provinceCode = "25"
            $0.assessmentID = w.assessmentID
          },
          metadata: caller
        )
      }
    },
    Row(
      "ListAssessments",
      everyone: .notFound,
      except: facilityReaders.merging(otherProvinceDenied) { a, _ in a }
    ) { w, caller in
      let response = try await w.bed.assessments {
        try await $0.listAssessments(
          .with {
            $0.provinceCode = "25"
            $0.facilityID = w.facilityA
          },
          metadata: caller
        )
      }
      #expect(response.assessments.contains { $0.assessmentID == w.assessmentID })
    },
    Row("GetFacilityStatus", everyone: .notFound, except: facilityReaders) { w, caller in
      let status = try await w.bed.assessments {
        try await $0.getFacilityStatus(
          .with {
            $0.provinceCode = "25"
            $0.facilityID = w.facilityA
          },
          metadata: caller
        )
      }.status
      #expect(status.facilityID == w.facilityA)
    },
    Row(
      "RecordInspection",
      everyone: .permissionDenied,
      except: [.officer25: .ok, .inspector25: .ok]
    ) { w, caller in
      _ = try await w.bed.assessments {
        try await $0.recordInspection(
          .with {
            $0.provinceCode = "25"
            $0.facilityID = w.facilityA
            $0.requestID = UUID().uuidString
            $0.inspectionDate = .with {
              $0.year = 2021
              $0.month = 9
              $0.day = 15
            }
            $0.levelFound = .atRisk
            $0.inspectorName = "Đoàn kiểm tra liên ngành"
          },
          metadata: caller
        )
      }
    },
    Row(
      "ListInspections",
      everyone: .notFound,
      except: facilityReaders.merging(otherProvinceDenied) { a, _ in a }
    ) { w, caller in
      _ = try await w.bed.assessments {
        try await $0.listInspections(
          .with {
            $0.provinceCode = "25"
            $0.facilityID = w.facilityA
          },
          metadata: caller
        )
      }
    },
    Row("GetProvinceSettings", everyone: .ok, except: otherProvinceDenied) { w, caller in
      _ = try await w.bed.assessments {
        try await $0.getProvinceSettings(.with { $0.provinceCode = "25" }, metadata: caller)
      }
    },
    Row(
      "UpdateProvinceSettings",
      everyone: .permissionDenied,
      except: [.ministry: .ok, .officer25: .ok]
    ) { w, caller in
      _ = try await w.bed.assessments {
        try await $0.updateProvinceSettings(
          .with {
            $0.settings = .with {
              $0.provinceCode = "25"
              $0.validityDays = 7
            }
            $0.updateMask = .with { $0.paths = ["validity_days"] }
          },
          metadata: caller
        )
      }
    },
  ]

  @Test("each caller gets exactly what its scope allows", arguments: rows)
  func scope(_ row: Row) async throws {
    let w = try await Self.world.value
    for caller in Caller.allCases {
      let expected = row.expected[caller]!
      var got: Outcome?
      var detail = ""
      do {
        try await row.call(w, w.tokens[caller]!)
        got = .ok
      } catch let error as RPCError {
        got =
          error.code == .permissionDenied
          ? .permissionDenied
          : error.code == .notFound ? .notFound : nil
        detail = "\(error.code): \(error.message)"
      }
      #expect(
        got == expected,
        "\(row.rpc) as \(caller.rawValue): expected \(expected.rawValue), got \(detail)"
      )
    }
  }

  @Test("every RPC of the service is in the matrix")
  func everyRPCCovered() {
    let names = Set(Self.rows.map(\.rpc))
    let all = Set(Safemap_Assessment_V1_AssessmentService.Method.descriptors.map(\.method))
    #expect(names == all, "missing from the matrix: \(all.subtracting(names).sorted())")
  }
}
