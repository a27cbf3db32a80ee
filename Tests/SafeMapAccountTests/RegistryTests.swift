import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// Officers, facilities and issuance across two provinces: each role against its own and
/// another province, district and zone.
@Suite("Registry and scope")
struct RegistryTests {
  struct World: Sendable {
    let bed: AccountTestBed
    let admin: Metadata
    let phuTho: Metadata
    let binhPhuoc: Metadata
    let vietTriDistrict: Metadata
    let zoneBoard: Metadata
    let inspector: Metadata
    let zoneID: String
    let facility: Safemap_Account_V1_Facility
    let otherDistrictFacility: Safemap_Account_V1_Facility
  }

  static let world = Task { () throws -> World in
    let bed = try await AccountTestBed.start()
    let admin = try await bed.admin
    let phuTho = try await bed.activeOfficer(
      "sct.phutho",
      role: .provinceOfficer,
      province: "25",
      as: admin
    )
    let binhPhuoc = try await bed.activeOfficer(
      "sct.binhphuoc",
      role: .provinceOfficer,
      province: "70",
      as: admin
    )
    let zone = try await bed.facilities {
      try await $0.createZone(
        .with {
          $0.zone = .with {
            $0.name = "KCN Thụy Vân"; $0.zoneType = .industrialZone; $0.districtCode = "227"
          }
        },
        metadata: phuTho
      )
    }.zone
    var zoned = facilityInput(taxCode: "2600100001")
    zoned.zoneID = zone.zoneID
    let inZone = zoned
    let facility = try await bed.facilities {
      try await $0.registerFacility(.with { $0.facility = inZone }, metadata: phuTho)
    }.facility
    let other = try await bed.facilities {
      try await $0.registerFacility(
        .with {
          $0.facility = facilityInput(taxCode: "2600100002", district: "230", name: "Chè Đoan Hùng")
        },
        metadata: phuTho
      )
    }.facility
    return World(
      bed: bed,
      admin: admin,
      phuTho: phuTho,
      binhPhuoc: binhPhuoc,
      vietTriDistrict: try await bed.activeOfficer(
        "ubnd.viettri",
        role: .districtOfficer,
        district: "227",
        as: phuTho
      ),
      zoneBoard: try await bed.activeOfficer(
        "bql.thuyvan",
        role: .zoneOfficer,
        zone: zone.zoneID,
        as: phuTho
      ),
      inspector: try await bed.activeOfficer("cdc.phutho", role: .healthInspector, as: phuTho),
      zoneID: zone.zoneID,
      facility: facility,
      otherDistrictFacility: other
    )
  }

  @Test("a province officer creates district, zone and inspector accounts of its own province only")
  func officerCreationScope() async throws {
    let w = try await Self.world.value
    let district = try await w.bed.createOfficer(
      "ubnd.lamthao",
      role: .districtOfficer,
      district: "237",
      as: w.phuTho
    )
    #expect(district.account.scope.provinceCode == "25")
    await expectCode(.permissionDenied, mentioning: "role") {
      try await w.bed.createOfficer(
        "sct.other",
        role: .provinceOfficer,
        province: "25",
        as: w.phuTho
      )
    }
    await expectCode(.permissionDenied, mentioning: "province_code") {
      try await w.bed.createOfficer(
        "ubnd.dongxoai",
        role: .districtOfficer,
        province: "70",
        district: "689",
        as: w.phuTho
      )
    }
    await expectCode(.invalidArgument, mentioning: "district_code") {
      try await w.bed.createOfficer(
        "ubnd.wrong",
        role: .districtOfficer,
        district: "689",
        as: w.phuTho
      )
    }
    await expectCode(.permissionDenied) {
      try await w.bed.createOfficer(
        "ubnd.x",
        role: .districtOfficer,
        district: "227",
        as: w.vietTriDistrict
      )
    }
    await expectCode(.alreadyExists, mentioning: "username") {
      try await w.bed.createOfficer(
        "UBND.LAMTHAO",
        role: .districtOfficer,
        district: "237",
        as: w.phuTho
      )
    }
    await expectCode(.invalidArgument, mentioning: "province_code") {
      try await w.bed.createOfficer("sct.nowhere", role: .provinceOfficer, as: w.admin)
    }
  }

  @Test("accounts of another province are NOT_FOUND; lists stay in the caller's province")
  func accountReadScope() async throws {
    let w = try await Self.world.value
    let created = try await w.bed.createOfficer(
      "ytp.binhphuoc",
      role: .healthInspector,
      as: w.binhPhuoc
    )
    let id = created.account.accountID
    let fromBinhPhuoc = try await w.bed.accounts {
      try await $0.getAccount(.with { $0.accountID = id }, metadata: w.binhPhuoc)
    }
    #expect(fromBinhPhuoc.account.username == "ytp.binhphuoc")
    await expectCode(.notFound) {
      try await w.bed.accounts {
        try await $0.getAccount(.with { $0.accountID = id }, metadata: w.phuTho)
      }
    }
    await expectCode(.notFound) {
      try await w.bed.accounts {
        try await $0.resetPassword(.with { $0.accountID = id }, metadata: w.phuTho)
      }
    }
    let listed = try await w.bed.accounts { try await $0.listAccounts(.init(), metadata: w.phuTho) }
    #expect(!listed.accounts.isEmpty)
    #expect(listed.accounts.allSatisfy { $0.scope.provinceCode == "25" })
    await expectCode(.permissionDenied) {
      try await w.bed.accounts {
        try await $0.listAccounts(.with { $0.provinceCode = "70" }, metadata: w.phuTho)
      }
    }
    await expectCode(.permissionDenied) {
      try await w.bed.accounts { try await $0.listAccounts(.init(), metadata: w.inspector) }
    }
    let ministryList = try await w.bed.accounts {
      try await $0.listAccounts(.with { $0.provinceCode = "70" }, metadata: w.admin)
    }
    #expect(ministryList.accounts.map(\.username).contains("ytp.binhphuoc"))
  }

  @Test("reset and disable: a new one-time password, sessions end, the account cannot log in")
  func resetAndDisable() async throws {
    let w = try await Self.world.value
    let created = try await w.bed.createOfficer(
      "ubnd.tamnong",
      role: .districtOfficer,
      district: "236",
      as: w.phuTho
    )
    let id = created.account.accountID
    let reset = try await w.bed.accounts {
      try await $0.resetPassword(.with { $0.accountID = id }, metadata: w.phuTho)
    }
    #expect(reset.initialPassword != created.initialPassword)
    await expectCode(.unauthenticated) {
      try await w.bed.login("ubnd.tamnong", created.initialPassword)
    }
    #expect(try await w.bed.login("ubnd.tamnong", reset.initialPassword).passwordChangeRequired)
    let disabled = try await w.bed.accounts {
      try await $0.setAccountDisabled(
        .with {
          $0.accountID = id; $0.disabled = true; $0.reason = "left office"
        },
        metadata: w.phuTho
      )
    }
    #expect(disabled.account.disabled)
    await expectCode(.unauthenticated, mentioning: "disabled") {
      try await w.bed.login("ubnd.tamnong", reset.initialPassword)
    }
  }

  @Test("facilities: each role reads its own province, district, zone or facility only")
  func facilityReadScope() async throws {
    let w = try await Self.world.value
    let get:
      @Sendable (Metadata, Safemap_Account_V1_Facility) async throws
        -> Safemap_Account_V1_GetFacilityResponse = { caller, facility in
          try await w.bed.facilities {
            try await $0.getFacility(
              .with {
                $0.provinceCode = facility.provinceCode; $0.facilityID = facility.facilityID
              },
              metadata: caller
            )
          }
        }
    #expect(try await get(w.phuTho, w.facility).facility.taxCode == "2600100001")
    #expect(try await get(w.inspector, w.facility).facility.zoneType == .industrialZone)
    #expect(try await get(w.vietTriDistrict, w.facility).facility.districtCode == "227")
    #expect(try await get(w.zoneBoard, w.facility).facility.zoneID == w.zoneID)
    #expect(try await get(w.admin, w.facility).operatingStatusHistory.count == 1)
    await expectCode(.notFound) { try await get(w.binhPhuoc, w.facility) }
    await expectCode(.notFound) { try await get(w.vietTriDistrict, w.otherDistrictFacility) }
    await expectCode(.notFound) { try await get(w.zoneBoard, w.otherDistrictFacility) }

    let listed = try await w.bed.facilities {
      try await $0.listFacilities(.with { $0.districtCode = "230" }, metadata: w.vietTriDistrict)
    }
    // The district officer asked for another district and still sees only its own.
    #expect(listed.facilities.allSatisfy { $0.districtCode == "227" })
    #expect(listed.facilities.contains { $0.facilityID == w.facility.facilityID })
    let search = try await w.bed.facilities {
      try await $0.listFacilities(.with { $0.query = "che doan hung" }, metadata: w.phuTho)
    }
    #expect(search.facilities.map(\.taxCode) == ["2600100002"])
    let inside = try await w.bed.facilities {
      try await $0.listFacilities(
        .with { $0.zoneLocation = .insideIndustrialZone },
        metadata: w.phuTho
      )
    }
    #expect(inside.facilities.map(\.taxCode) == ["2600100001"])
    await expectCode(.permissionDenied) {
      try await w.bed.facilities {
        try await $0.listFacilities(.with { $0.provinceCode = "25" }, metadata: w.binhPhuoc)
      }
    }
  }

  @Test("registration validates every field and refuses a second facility with the same tax code")
  func registrationValidation() async throws {
    let w = try await Self.world.value
    var invalid = facilityInput(taxCode: "12345", district: "689")
    invalid.workerCount = -1
    invalid.location = .with {
      $0.latitude = 48.85; $0.longitude = 2.35
    }
    invalid.contactEmail = "not-an-email"
    let bad = invalid
    do {
      _ = try await w.bed.facilities {
        try await $0.registerFacility(.with { $0.facility = bad }, metadata: w.phuTho)
      }
      Issue.record("accepted an invalid facility")
    } catch let error as RPCError {
      #expect(error.code == .invalidArgument)
      for field in [
        "facility.tax_code", "facility.worker_count", "facility.location", "facility.contact_email",
      ] {
        #expect(error.message.contains(field), "\(error.message)")
      }
    }
    await expectCode(.invalidArgument, mentioning: "facility.district_code") {
      try await w.bed.facilities {
        try await $0.registerFacility(
          .with { $0.facility = facilityInput(taxCode: "2600100009", district: "689") },
          metadata: w.phuTho
        )
      }
    }
    await expectCode(.alreadyExists, mentioning: "tax_code") {
      try await w.bed.facilities {
        try await $0.registerFacility(
          .with { $0.facility = facilityInput(taxCode: "2600100001") },
          metadata: w.phuTho
        )
      }
    }
    await expectCode(.permissionDenied) {
      try await w.bed.facilities {
        try await $0.registerFacility(
          .with { $0.facility = facilityInput(taxCode: "2600100010") },
          metadata: w.inspector
        )
      }
    }
  }

  @Test("operating status: a reason is required to stop, and the history is kept")
  func operatingStatus() async throws {
    let w = try await Self.world.value
    let f = w.otherDistrictFacility
    await expectCode(.invalidArgument, mentioning: "reason") {
      try await w.bed.facilities {
        try await $0.setOperatingStatus(
          .with {
            $0.provinceCode = "25"; $0.facilityID = f.facilityID; $0.status = .suspended
          },
          metadata: w.phuTho
        )
      }
    }
    let changed = try await w.bed.facilities {
      try await $0.setOperatingStatus(
        .with {
          $0.facilityID = f.facilityID; $0.status = .suspended; $0.reason = "Tạm dừng sản xuất"
          $0.effectiveDate = .with {
            $0.year = 2021; $0.month = 8; $0.day = 20
          }
        },
        metadata: w.phuTho
      )
    }
    #expect(changed.facility.operatingStatus == .suspended)
    #expect(changed.change.effectiveDate.day == 20)
    await expectCode(.permissionDenied) {
      try await w.bed.facilities {
        try await $0.setOperatingStatus(
          .with {
            $0.facilityID = f.facilityID; $0.status = .active
          },
          metadata: w.vietTriDistrict
        )
      }
    }
    let history = try await w.bed.facilities {
      try await $0.getFacility(.with { $0.facilityID = f.facilityID }, metadata: w.phuTho)
    }.operatingStatusHistory
    #expect(history.map(\.status) == [.suspended, .active])
  }

  @Test(
    "bulk issuance: one result per row, bad rows alone rejected, re-sending creates nothing twice"
  )
  func bulkIssuance() async throws {
    let w = try await Self.world.value
    let rows: [Safemap_Account_V1_IssuanceRow] = [
      .with {
        $0.rowNumber = 1; $0.facility = facilityInput(taxCode: "2600200001", name: "Gốm Phú Thọ")
      },
      .with {
        $0.rowNumber = 2; $0.facility = facilityInput(taxCode: "bad", name: "")
      },
      .with {
        $0.rowNumber = 3; $0.facility = facilityInput(taxCode: "2600200003-001", district: "238")
      },
      .with {
        $0.rowNumber = 4; $0.facility = w.facility
      },
      .with {
        $0.rowNumber = 5; $0.facility = facilityInput(taxCode: "2600200001", name: "Gốm Phú Thọ")
      },
    ]
    let issue = { @Sendable (requestID: String) in
      try await w.bed.facilities { client in
        try await client.issueFacilityAccounts(
          metadata: w.phuTho,
          requestProducer: { writer in
            try await writer.write(
              .with {
                $0.options = .with {
                  $0.requestID = requestID; $0.note = "supplementary"
                  $0.credentialDelivery = .issuerSheet
                }
              }
            )
            for row in rows { try await writer.write(.with { $0.row = row }) }
          }
        ) { response in
          var results: [Safemap_Account_V1_IssueFacilityAccountsResponse] = []
          for try await message in response.messages { results.append(message) }
          return results
        }
      }
    }
    let first = try await issue("batch-1")
    let results = Self.results(first)
    #expect(
      results.map(\.outcome) == [
        Safemap_Account_V1_IssuanceOutcome.issued, .rejected, .issued, .issued, .alreadyIssued,
      ]
    )
    #expect(results[4].facilityID == results[0].facilityID && results[4].initialPassword.isEmpty)
    #expect(results[1].violations.map(\.field).contains("facility.tax_code"))
    #expect(results[0].username == "2600200001" && results[0].initialPassword.count == 24)
    guard case .summary(let summary) = first.last?.item else {
      Issue.record("no summary")
      return
    }
    #expect((summary.issuedCount, summary.alreadyIssuedCount, summary.rejectedCount) == (3, 1, 1))
    #expect(Set(first.map(\.batchID)).count == 1)

    let again = try await issue("batch-2")
    let repeated = Self.results(again)
    #expect(
      repeated.map(\.outcome) == [
        Safemap_Account_V1_IssuanceOutcome.alreadyIssued, .rejected, .alreadyIssued, .alreadyIssued,
        .alreadyIssued,
      ]
    )
    #expect(repeated.allSatisfy { $0.initialPassword.isEmpty })
    #expect(repeated[0].facilityID == results[0].facilityID)

    // The facility logs in with the one-time password it was given.
    #expect(try await w.bed.login("2600200001", results[0].initialPassword).passwordChangeRequired)
    await expectCode(.permissionDenied) {
      try await w.bed.facilities { client in
        try await client.issueFacilityAccounts(
          metadata: w.phuTho,
          requestProducer: { writer in
            try await writer.write(.with { $0.options = .with { $0.provinceCode = "70" } })
          }
        ) { response in
          for try await _ in response.messages {}
        }
      }
    }
  }

  static func results(_ messages: [Safemap_Account_V1_IssueFacilityAccountsResponse])
    -> [Safemap_Account_V1_IssuanceResult]
  {
    messages.compactMap { message -> Safemap_Account_V1_IssuanceResult? in
      if case .result(let result) = message.item { return result }
      return nil
    }
  }

  @Test("a facility updates only its contact fields and location")
  func facilitySelfUpdate() async throws {
    let w = try await Self.world.value
    let issued = try await w.bed.facilities { client in
      try await client.issueFacilityAccounts(
        metadata: w.phuTho,
        requestProducer: { writer in
          try await writer.write(.with { $0.options.credentialDelivery = .issuerSheet })
          try await writer.write(
            .with {
              $0.row = .with {
                $0.rowNumber = 1; $0.facility = facilityInput(taxCode: "2600300001")
              }
            }
          )
        }
      ) { response in
        for try await message in response.messages {
          if case .result(let r) = message.item { return r }
        }
        throw RPCError(code: .internalError, message: "no result")
      }
    }
    let login = try await w.bed.login(issued.username, issued.initialPassword)
    let otp: Metadata = ["authorization": "Bearer \(login.tokens.accessToken)"]
    let changed = try await w.bed.accounts {
      try await $0.changePassword(
        .with {
          $0.currentPassword = issued.initialPassword; $0.newPassword = "nha may gom 2021"
        },
        metadata: otp
      )
    }
    let me: Metadata = ["authorization": "Bearer \(changed.tokens.accessToken)"]
    let updated = try await w.bed.facilities {
      try await $0.updateFacility(
        .with {
          $0.facility = .with {
            $0.facilityID = issued.facilityID; $0.contactPhone = "0977 957 222"
          }
          $0.updateMask = .with { $0.paths = ["contact_phone"] }
        },
        metadata: me
      )
    }
    #expect(updated.facility.contactPhone == "0977 957 222")
    await expectCode(.permissionDenied, mentioning: "worker_count") {
      try await w.bed.facilities {
        try await $0.updateFacility(
          .with {
            $0.facility = .with {
              $0.facilityID = issued.facilityID; $0.workerCount = 10
            }
            $0.updateMask = .with { $0.paths = ["worker_count"] }
          },
          metadata: me
        )
      }
    }
    await expectCode(.notFound) {
      try await w.bed.facilities {
        try await $0.updateFacility(
          .with {
            $0.facility = .with {
              $0.facilityID = w.facility.facilityID; $0.contactPhone = "0210 000 0000"
            }
            $0.updateMask = .with { $0.paths = ["contact_phone"] }
          },
          metadata: me
        )
      }
    }
  }

  @Test("the audit log records successes and refusals, in scope, without secrets")
  func auditLog() async throws {
    let w = try await Self.world.value
    await expectCode(.permissionDenied) {
      try await w.bed.createOfficer(
        "sct.denied",
        role: .provinceOfficer,
        province: "25",
        as: w.phuTho
      )
    }
    let events = try await w.bed.facilities {
      try await $0.listAuditEvents(.with { $0.pageSize = 1000 }, metadata: w.phuTho)
    }.events
    #expect(events.allSatisfy { $0.provinceCode == "25" })
    #expect(events.contains { $0.action == "RegisterFacility" && $0.outcome == .success })
    #expect(events.contains { $0.action == "CreateAccount" && $0.outcome == .denied })
    #expect(events.allSatisfy { !$0.detail.contains("Phu Tho factories 2021") })
    await expectCode(.permissionDenied) {
      try await w.bed.facilities {
        try await $0.listAuditEvents(.init(), metadata: w.vietTriDistrict)
      }
    }
  }
}
