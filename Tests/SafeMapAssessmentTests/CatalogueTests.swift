import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapCore
import SafeMapRuntime
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@Suite("Catalogues and province settings")
struct CatalogueTests {
  static let bed = Task { try await AssessmentTestBed.start() }

  @Test(
    "the shipped workplace catalogue: 15 criteria, 300 points, CS1–CS3 verified, source note"
  )
  func defaultWorkplaceCatalogue() async throws {
    let bed = try await Self.bed.value
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer())
    let catalogue = try await bed.assessments {
      try await $0.getCatalogue(.with { $0.kind = .workplace }, metadata: officer)
    }.catalogue
    #expect(catalogue.state == .active)
    #expect(catalogue.version == 1)
    #expect(catalogue.criteria.map(\.code) == (1...15).map { "CS\($0)" })
    #expect(catalogue.maxPoints == 300)
    #expect(catalogue.criteria.filter(\.verified).map(\.code) == ["CS1", "CS2", "CS3"])
    #expect(
      catalogue.sourceNote.contains("VERIFIED") && catalogue.sourceNote.contains("RECONSTRUCTED")
    )
    #expect(catalogue.criteria[0].profileSource == .workerCount)
    let dormitory = try await bed.assessments {
      try await $0.getCatalogue(.with { $0.kind = .dormitory }, metadata: officer)
    }.catalogue
    #expect(dormitory.maxPoints == 100)
  }

  @Test(
    "only the ministry imports and activates; imports are validated; old versions stay readable"
  )
  func importAndActivate() async throws {
    let bed = try await Self.bed.value
    let ministry = try await TestKeys.metadata(for: TestPrincipals.ministry)
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer())
    var next = try await bed.assessments {
      try await $0.getCatalogue(.with { $0.kind = .dormitory }, metadata: ministry)
    }.catalogue
    next.title = "Ký túc xá – bản chính thức"
    let candidate = next
    // A dormitory scored now uses version 1 (and the service caches it as the active one).
    let (_, dormitory) = try await bed.registerFacility(taxCode: "2500600001", residents: 80)
    let before = try await bed.submit(.dormitory, StatusTests.dormitoryAnswers([:]), as: dormitory)
    #expect(before.catalogueVersion == 1)
    await expectCode(.permissionDenied) {
      try await bed.assessments {
        try await $0.importCatalogue(.with { $0.catalogue = candidate }, metadata: officer)
      }
    }
    var broken = next
    broken.criteria.append(broken.criteria[0])
    broken.thresholds.swapAt(0, 1)
    let invalid = broken
    await expectCode(.invalidArgument, mentioning: "catalogue.thresholds") {
      try await bed.assessments {
        try await $0.importCatalogue(.with { $0.catalogue = invalid }, metadata: ministry)
      }
    }
    let imported = try await bed.assessments {
      try await $0.importCatalogue(
        .with {
          $0.catalogue = candidate; $0.requestID = "dorm-official"
        },
        metadata: ministry
      )
    }.catalogue
    #expect(imported.state == .draft && imported.version == 2)
    let again = try await bed.assessments {
      try await $0.importCatalogue(
        .with {
          $0.catalogue = candidate; $0.requestID = "dorm-official"
        },
        metadata: ministry
      )
    }.catalogue
    #expect(again.version == 2)
    let activated = try await bed.assessments {
      try await $0.activateCatalogue(
        .with {
          $0.kind = .dormitory; $0.version = 2
        },
        metadata: ministry
      )
    }.catalogue
    #expect(activated.state == .active)
    // Scored at once with the version just activated, not the cached one.
    let after = try await bed.submit(.dormitory, StatusTests.dormitoryAnswers([:]), as: dormitory)
    #expect(after.catalogueVersion == 2)
    let first = try await bed.assessments {
      try await $0.getAssessment(.with { $0.assessmentID = before.assessmentID }, metadata: officer)
    }.assessment
    #expect(first.catalogueVersion == 1)
    let old = try await bed.assessments {
      try await $0.getCatalogue(
        .with {
          $0.kind = .dormitory; $0.version = 1
        },
        metadata: officer
      )
    }.catalogue
    #expect(old.state == .retired)
    let listed = try await bed.assessments {
      try await $0.listCatalogues(.with { $0.kind = .dormitory }, metadata: officer)
    }.catalogues
    #expect(listed.map(\.version) == [2, 1])
    await expectCode(.notFound) {
      try await bed.assessments {
        try await $0.activateCatalogue(
          .with {
            $0.kind = .dormitory; $0.version = 9
          },
          metadata: ministry
        )
      }
    }
  }

  @Test("validity period: default 7 days; set by the province's officer only")
  func provinceSettings() async throws {
    let bed = try await Self.bed.value
    let phuTho = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    let binhPhuoc = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("70"))
    let inspector = try await TestKeys.metadata(for: TestPrincipals.healthInspector("25"))
    let initial = try await bed.assessments {
      try await $0.getProvinceSettings(.init(), metadata: phuTho)
    }
    #expect(initial.settings.validityDays == 7)
    let updated = try await bed.assessments {
      try await $0.updateProvinceSettings(
        .with {
          $0.settings = .with { $0.validityDays = 14 }
          $0.updateMask = .with { $0.paths = ["validity_days"] }
        },
        metadata: phuTho
      )
    }
    #expect(updated.settings.validityDays == 14)
    #expect(
      try await bed.assessments { try await $0.getProvinceSettings(.init(), metadata: binhPhuoc) }
        .settings.validityDays == 7
    )
    await expectCode(.permissionDenied) {
      try await bed.assessments {
        try await $0.updateProvinceSettings(
          .with {
            $0.settings = .with {
              $0.provinceCode = "25"; $0.validityDays = 3
            }; $0.updateMask = .with { $0.paths = ["validity_days"] }
          },
          metadata: binhPhuoc
        )
      }
    }
    await expectCode(.permissionDenied) {
      try await bed.assessments {
        try await $0.updateProvinceSettings(
          .with {
            $0.settings = .with { $0.validityDays = 3 };
            $0.updateMask = .with { $0.paths = ["validity_days"] }
          },
          metadata: inspector
        )
      }
    }
    await expectCode(.invalidArgument, mentioning: "settings.validity_days") {
      try await bed.assessments {
        try await $0.updateProvinceSettings(
          .with {
            $0.settings = .with { $0.validityDays = 0 };
            $0.updateMask = .with { $0.paths = ["validity_days"] }
          },
          metadata: phuTho
        )
      }
    }
  }
}
