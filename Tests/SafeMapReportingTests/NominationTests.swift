import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapCore
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// Bình Phước (70) in 2021, the other half of the loop: the department asked its eleven
/// districts and the zone board, twice, for operating facilities without an account; five
/// answered (Phú Riềng 698, Đồng Phú 695, Bù Đốp 693, Bình Long 690, Phước Long 688). Here
/// they nominate through the RPCs, the province reviews, the approved ones are issued as one
/// batch, each district hands out its own credentials and some facilities sign in. And Phú Thọ
/// (25): 554 nominated facilities become one supplementary batch.
@Suite("Nominations and the credential hand-out")
struct NominationTests {
  static let answering = ["698", "695", "693", "690", "688"]

  struct World: Sendable {
    let bed: ReportingTestBed
    let officer: Metadata
    let zone: String

    func district(_ code: String) async throws -> Metadata {
      try await TestKeys.metadata(for: person(.districtOfficer, "70", district: code))
    }

    func createDrive(deadline: Date) async throws -> Safemap_Account_V1_NominationDrive {
      let officer = officer
      return try await bed.nominations {
        try await $0.createNominationDrive(
          .with {
            $0.requestID = UUID().uuidString
            $0.drive = .with {
              $0.title = "Rà soát cơ sở đang hoạt động chưa có tài khoản (lần 2)"
              $0.deadline = deadline.timestamp
            }
          },
          metadata: officer
        )
      }.drive
    }

    func nominate(
      _ facilities: [Safemap_Account_V1_Facility],
      drive: String = "",
      as token: Metadata
    ) async throws -> Safemap_Account_V1_NominateFacilitiesResponse {
      try await bed.nominations {
        try await $0.nominateFacilities(
          .with {
            $0.driveID = drive
            $0.rows = facilities.enumerated().map { index, facility in
              .with {
                $0.rowNumber = Int32(index + 2)
                $0.facility = facility
              }
            }
          },
          metadata: token
        )
      }
    }

    func review(
      _ ids: [String],
      _ action: Safemap_Account_V1_NominationReviewAction,
      reason: String = "",
      as caller: Metadata? = nil
    ) async throws -> [Safemap_Account_V1_Nomination] {
      let token = caller ?? officer
      return try await bed.nominations {
        try await $0.reviewNominations(
          .with {
            $0.nominationIds = ids
            $0.action = action
            $0.reason = reason
          },
          metadata: token
        )
      }.nominations
    }

    func rate(_ drive: String, at instant: Date? = nil) async throws
      -> Safemap_Account_V1_GetNominationResponseRateResponse
    {
      let officer = officer
      return try await bed.nominations {
        try await $0.getNominationResponseRate(
          .with {
            $0.driveID = drive
            if let instant { $0.asOfTime = instant.timestamp }
          },
          metadata: officer
        )
      }
    }

    func credentials(
      status: Safemap_Account_V1_CredentialStatus = .unspecified,
      as token: Metadata
    ) async throws -> [Safemap_Account_V1_FacilityCredential] {
      try await bed.credentials {
        try await $0.listFacilityCredentials(
          .with {
            $0.status = status
            $0.pageSize = 1000
          },
          metadata: token
        )
      }.credentials
    }

    func handOut(
      _ ids: [String],
      method: Safemap_Account_V1_HandOutMethod = .sheet,
      reissue: Bool = false,
      as token: Metadata
    ) async throws -> [Safemap_Account_V1_HandedOutCredential] {
      try await bed.credentials {
        try await $0.handOutCredentials(
          .with {
            $0.facilityIds = ids
            $0.method = method
            $0.reissue = reissue
          },
          metadata: token
        )
      }.credentials
    }
  }

  static let world = Task { () throws -> World in
    let bed = try await ReportingTestBed.start()
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("70"))
    let zone = try await bed.facilities {
      try await $0.createZone(
        .with {
          $0.zone = .with {
            $0.name = "KCN Minh Hưng III"
            $0.zoneType = .industrialZone
            $0.districtCode = "697"
          }
        },
        metadata: officer
      )
    }.zone.zoneID
    // One registered facility per district, and one in the zone: the zone board is a unit.
    var rows: [Safemap_Account_V1_Facility] = (688...698).map(String.init).map { district in
      facility("Công ty TNHH May Hoàng Phát \(district)", tax: "380\(district)0000", district)
    }
    rows.append(facility("Công ty CP Điện tử Minh Hưng", tax: "3806970099", "697", zone: zone))
    _ = try await bed.issue(rows, province: "70", as: officer)
    return World(bed: bed, officer: officer, zone: zone)
  }

  static func facility(
    _ name: String,
    tax: String,
    _ district: String,
    zone: String = ""
  ) -> Safemap_Account_V1_Facility {
    .with {
      $0.name = name
      $0.taxCode = tax
      $0.districtCode = district
      $0.zoneID = zone
      $0.address = "Ấp 3, \(district)"
      $0.workerCount = 120
      $0.workshopAreaM2 = 800
    }
  }

  @Test("five of twelve units answer a drive; the registry refuses, warns and de-duplicates")
  func driveAndChecks() async throws {
    let world = try await Self.world.value
    let drive = try await world.createDrive(deadline: Date().addingTimeInterval(3_600))
    let before = try await world.rate(drive.driveID)
    #expect(before.expected == 12 && before.responded == 0 && before.missing == 12)

    // Phú Riềng's sheet: a new facility, one already registered (named in the refusal), one
    // with a similar name to a registered one (a warning), one outside the district, and a
    // repeated row.
    let phuRieng = try await world.district("698")
    let sheet = try await world.nominate(
      [
        Self.facility("Cơ sở chế biến hạt điều Phú Riềng", tax: "3809800001", "698"),
        Self.facility("Trùng mã số thuế", tax: "3806980000", "698"),
        Self.facility("CTY may Hoàng Phát", tax: "3809800002", "698"),
        Self.facility("Ngoài huyện", tax: "3809800003", "689"),
        Self.facility("Lặp lại", tax: "3809800001", "698"),
      ],
      drive: drive.driveID,
      as: phuRieng
    )
    #expect(sheet.nominated == 2 && sheet.rejected == 3 && sheet.alreadyNominated == 0)
    let results = sheet.results
    #expect(results.map(\.rowNumber) == [2, 3, 4, 5, 6])
    #expect(results[0].outcome == .nominated && results[0].nomination.state == .submitted)
    #expect(results[0].nomination.unit.code == "698")
    #expect(results[1].outcome == .rejected)
    #expect(results[1].violations.first?.description_p.contains("May Hoàng Phát 698") == true)
    #expect(results[2].outcome == .nominated)
    #expect(results[2].nomination.warnings.contains { $0.contains("May Hoàng Phát 698") })
    #expect(results[3].violations.map(\.field).contains("facility.district_code"))
    #expect(results[4].violations.first?.description_p.contains("repeats row 2") == true)

    // The same row again is the same nomination; another unit's nomination of it is refused.
    let again = try await world.nominate(
      [Self.facility("Cơ sở chế biến hạt điều Phú Riềng", tax: "3809800001", "698")],
      drive: drive.driveID,
      as: phuRieng
    )
    #expect(again.alreadyNominated == 1)
    #expect(again.results[0].nomination.nominationID == results[0].nomination.nominationID)

    // Four more units answer: three nominate, Phước Long has nothing to nominate.
    for (index, district) in ["695", "693", "690"].enumerated() {
      let token = try await world.district(district)
      let answer = try await world.nominate(
        [Self.facility("Xưởng gỗ số \(index + 1)", tax: "38\(district)1000\(index)", district)],
        drive: drive.driveID,
        as: token
      )
      #expect(answer.nominated == 1, "\(answer)")
    }
    let phuocLong = try await world.district("688")
    let said = try await world.bed.nominations {
      try await $0.respondToNominationDrive(
        .with {
          $0.driveID = drive.driveID
          $0.comment = "Không phát hiện cơ sở nào chưa có tài khoản"
        },
        metadata: phuocLong
      )
    }.response
    #expect(said.timeliness == .onTime && said.nominated == 0)

    let after = try await world.rate(drive.driveID)
    #expect(after.expected == 12 && after.responded == 5 && after.missing == 7)
    #expect(abs(after.rate - 5.0 / 12.0) < 1e-9)
    let answered = Set(after.units.filter { $0.hasRespondTime }.map(\.unit.code))
    #expect(answered == Set(Self.answering))
    #expect(after.units.first { $0.unit.code == "698" }?.nominated == 2)
    #expect(after.units.contains { $0.unit.kind == .zone && !$0.hasRespondTime })
    // As of before the drive: nobody had answered.
    let then = try await world.rate(drive.driveID, at: Date(timeIntervalSinceNow: -3_600))
    #expect(then.responded == 0)

    // A unit sees its own row only; a facility or a health inspector cannot nominate.
    let own = try await world.bed.nominations {
      try await $0.getNominationResponseRate(
        .with { $0.driveID = drive.driveID },
        metadata: phuRieng
      )
    }
    #expect(own.units.map(\.unit.code) == ["698"] && own.expected == 12)
    let inspector = try await TestKeys.metadata(for: person(.healthInspector, "70"))
    await expectCode(.permissionDenied, mentioning: "district or zone-board officer") {
      try await world.nominate([Self.facility("X", tax: "3809800009", "698")], as: inspector)
    }
    // Another province's officer does not see this drive.
    let phuTho = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    await expectCode(.notFound, mentioning: "drive_id") {
      try await world.bed.nominations {
        try await $0.getNominationResponseRate(
          .with { $0.driveID = drive.driveID },
          metadata: phuTho
        )
      }
    }
  }

  @Test("review, issue as one batch, hand out per district once, activate, expire and reissue")
  func reviewIssueHandOut() async throws {
    let world = try await Self.world.value
    let buDang = try await world.district("696")
    let locNinh = try await world.district("692")
    let nominated = try await world.nominate(
      [
        Self.facility("Nhà máy cao su Bù Đăng", tax: "3809690001", "696"),
        Self.facility("Cơ sở dệt Đức Liễu", tax: "3809690002", "696"),
        Self.facility("Xưởng điều Minh Hưng", tax: "3809690003", "696"),
      ],
      as: buDang
    ).results.map(\.nomination.nominationID)
    let other = try await world.nominate(
      [Self.facility("Trại gỗ Lộc Ninh", tax: "3809690004", "692")],
      as: locNinh
    ).results.map(\.nomination.nominationID)

    // Only the province reviews; a question goes back to the unit, which answers.
    await expectCode(.permissionDenied) {
      try await world.review(nominated, .approve, as: buDang)
    }
    await expectCode(.invalidArgument, mentioning: "reason") {
      try await world.review([nominated[2]], .reject)
    }
    let asked = try await world.review(
      [nominated[1]],
      .askForInformation,
      reason: "Cơ sở còn hoạt động không? Ghi rõ số lao động."
    )
    #expect(asked.first?.state == .needsInformation)
    await expectCode(.failedPrecondition, mentioning: "NEEDS_INFORMATION") {
      try await world.review([nominated[1]], .approve)
    }
    var changed = Self.facility("Cơ sở dệt Đức Liễu", tax: "3809690002", "696")
    changed.workerCount = 85
    let amended = changed
    let answered = try await world.bed.nominations {
      try await $0.updateNomination(
        .with {
          $0.nominationID = nominated[1]
          $0.facility = amended
          $0.comment = "Còn hoạt động, 85 lao động"
        },
        metadata: buDang
      )
    }.nomination
    #expect(answered.state == .submitted && answered.facility.workerCount == 85)
    let rejected = try await world.review([nominated[2]], .reject, reason: "Đã ngừng hoạt động")
    #expect(rejected.first?.state == .rejected && rejected.first?.reason == "Đã ngừng hoạt động")
    // All or none: one rejected id among them refuses the whole review.
    await expectCode(.failedPrecondition, mentioning: "REJECTED") {
      try await world.review(nominated, .approve)
    }
    let approved = try await world.review([nominated[0], nominated[1]] + other, .approve)
    #expect(approved.allSatisfy { $0.state == .approved })

    // The issuing officer runs the approved nominations as one batch; nobody gets passwords.
    let batch = try await Self.issueApproved(world.bed, as: world.officer)
    let mine = batch.results.filter { result in
      ["3809690001", "3809690002", "3809690004"].contains(result.username)
    }
    #expect(mine.count == 3 && mine.allSatisfy { $0.outcome == .issued })
    #expect(batch.results.allSatisfy { $0.initialPassword.isEmpty })
    let listed = try await world.bed.nominations {
      try await $0.listNominations(.init(), metadata: buDang)
    }.nominations
    #expect(listed.allSatisfy { $0.unit.code == "696" })
    let issued = listed.filter { $0.state == .issued }
    #expect(issued.count == 2 && issued.allSatisfy { $0.credentialStatus == .awaitingHandOut })

    // Bù Đăng hands out its own, once; Lộc Ninh's facility is not found for it.
    // Its registered facility was issued for hand-out too; this sheet is for the new ones.
    let all = try await world.credentials(status: .awaitingHandOut, as: buDang)
    #expect(Set(all.map(\.taxCode)) == ["3806960000", "3809690001", "3809690002"])
    let awaiting = all.filter { $0.taxCode.hasPrefix("380969") }
    let lockNinhFacility = try #require(
      try await world.credentials(as: locNinh).first { $0.taxCode == "3809690004" }
    )
    await expectCode(.notFound, mentioning: "facility_ids[1]") {
      try await world.handOut([awaiting[0].facilityID, lockNinhFacility.facilityID], as: buDang)
    }
    let sheet = try await world.handOut(awaiting.map(\.facilityID), as: buDang)
    #expect(sheet.count == 2 && sheet.allSatisfy { $0.oneTimePassword.count == 24 })
    #expect(sheet.allSatisfy { $0.credential.status == .handedOut })
    #expect(sheet.allSatisfy { $0.credential.handOutMethod == .sheet })
    await expectCode(.failedPrecondition, mentioning: "HANDED_OUT") {
      try await world.handOut([awaiting[0].facilityID], as: buDang)
    }
    let ministry = try await TestKeys.metadata(for: TestPrincipals.ministry)
    await expectCode(.permissionDenied) {
      try await world.bed.credentials {
        try await $0.handOutCredentials(
          .with {
            $0.provinceCode = "70"
            $0.facilityIds = [lockNinhFacility.facilityID]
            $0.method = .letter
          },
          metadata: ministry
        )
      }
    }
    let letter = try await world.handOut(
      [lockNinhFacility.facilityID],
      method: .letter,
      as: locNinh
    )
    #expect(letter.first?.credential.handOutMethod == .letter)

    // The first facility signs in with its password: activated.
    let first = try #require(sheet.first { $0.credential.taxCode == "3809690001" })
    let login = try await world.bed.accounts {
      try await $0.login(
        .with {
          $0.username = first.credential.username
          $0.password = first.oneTimePassword
        }
      )
    }
    #expect(login.passwordChangeRequired)
    // The second's password expires unused: sign-in says to ask the district, which reissues.
    let second = try #require(sheet.first { $0.credential.taxCode == "3809690002" })
    try await world.bed.superuser(
      """
      UPDATE accounts SET one_time_password_expires_at = now() - interval '1 day'
      WHERE username = '\(second.credential.username)'
      """
    )
    await expectCode(.unauthenticated, mentioning: "district") {
      try await world.bed.accounts {
        try await $0.login(
          .with {
            $0.username = second.credential.username
            $0.password = second.oneTimePassword
          }
        )
      }
    }
    let now = try await world.credentials(as: buDang)
    let byTax = Dictionary(uniqueKeysWithValues: now.map { ($0.taxCode, $0) })
    #expect(byTax["3809690001"]?.status == .activated)
    #expect(byTax["3809690002"]?.status == .expired)
    #expect(byTax["3809690001"]?.hasActivateTime == true)
    // The list to chase: everything not yet signed in, whatever its hand-out.
    let toChase = try await world.bed.credentials {
      try await $0.listFacilityCredentials(.with { $0.notActivated = true }, metadata: buDang)
    }.credentials
    #expect(Set(toChase.map(\.taxCode)) == ["3806960000", "3809690002"])
    await expectCode(.invalidArgument, mentioning: "not_activated") {
      try await world.bed.credentials {
        try await $0.listFacilityCredentials(
          .with {
            $0.notActivated = true
            $0.status = .expired
          },
          metadata: buDang
        )
      }
    }
    await expectCode(.failedPrecondition, mentioning: "ACTIVATED") {
      try await world.handOut([first.credential.facilityID], reissue: true, as: buDang)
    }
    let reissued = try await world.handOut(
      [second.credential.facilityID],
      reissue: true,
      as: buDang
    )
    #expect(reissued.first?.oneTimePassword != second.oneTimePassword)
    let relogin = try await world.bed.accounts {
      try await $0.login(
        .with {
          $0.username = second.credential.username
          $0.password = reissued[0].oneTimePassword
        }
      )
    }
    #expect(relogin.passwordChangeRequired)

    // Per unit: Bù Đăng has two activated (its registered facility never signed in: awaiting).
    let summary = try await world.bed.credentials {
      try await $0.summarizeFacilityCredentials(.init(), metadata: world.officer)
    }.units
    let buDangRow = try #require(
      summary.first { $0.unit.kind == .district && $0.unit.code == "696" }
    )
    #expect(buDangRow.activated == 2 && buDangRow.awaitingHandOut == 1 && buDangRow.expired == 0)
    #expect(summary.contains { $0.unit.kind == .zone && $0.unit.code == world.zone })
    let ownSummary = try await world.bed.credentials {
      try await $0.summarizeFacilityCredentials(.init(), metadata: buDang)
    }.units
    #expect(ownSummary.map(\.unit.code) == ["696"])

    // Every hand-out is audited in the province, one row per facility.
    let audit = try await world.bed.facilities {
      try await $0.listAuditEvents(
        .with {
          $0.action = "HandOutCredentials"
          $0.pageSize = 100
        },
        metadata: world.officer
      )
    }.events
    #expect(audit.filter { $0.outcome == .success }.count == 4)
    #expect(audit.filter { $0.outcome != .success }.count >= 4, "the refusals too")
  }

  @Test("Phú Thọ: 554 nominated facilities become one supplementary batch")
  func phuTho554() async throws {
    let world = try await Self.world.value
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    let lamThao = try await TestKeys.metadata(for: person(.districtOfficer, "25", district: "237"))
    let rows = (1...554).map { n in
      Safemap_Account_V1_Facility.with {
        $0.name = "Cơ sở sản xuất bổ sung số \(n)"
        $0.taxCode = String(format: "26%08d", 500_000 + n)
        $0.districtCode = "237"
        $0.workerCount = 40
        $0.workshopAreaM2 = 300
      }
    }
    let nominated = try await world.bed.nominations {
      try await $0.nominateFacilities(
        .with {
          $0.rows = rows.enumerated().map { index, facility in
            .with {
              $0.rowNumber = Int32(index + 2)
              $0.facility = facility
            }
          }
        },
        metadata: lamThao
      )
    }
    #expect(nominated.nominated == 554, "\(nominated.results.filter { $0.outcome == .rejected })")
    let ids = nominated.results.map(\.nomination.nominationID)
    // A review covers at most 500: two reviews.
    await expectCode(.invalidArgument, mentioning: "at most 500") {
      try await world.review(ids, .approve, as: officer)
    }
    _ = try await world.review(Array(ids.prefix(500)), .approve, as: officer)
    _ = try await world.review(Array(ids.dropFirst(500)), .approve, as: officer)
    let batch = try await Self.issueApproved(world.bed, province: "25", as: officer)
    #expect(batch.summary.issuedCount == 554 && batch.summary.rejectedCount == 0)
    #expect(batch.results.count == 554)
    let listed = try await world.bed.nominations {
      try await $0.listNominations(
        .with {
          $0.state = .issued; $0.pageSize = 1000
        },
        metadata: officer
      )
    }.nominations
    #expect(listed.count == 554 && Set(listed.map(\.batchID)) == [batch.summary.batchID])
    // Nothing approved is left: running it again is refused, not a second batch.
    await expectCode(.failedPrecondition, mentioning: "no approved nomination") {
      try await Self.issueApproved(world.bed, province: "25", as: officer)
    }
    let awaiting = try await world.credentials(status: .awaitingHandOut, as: lamThao)
    #expect(awaiting.count == 554)
  }

  struct Batch {
    var results: [Safemap_Account_V1_IssuanceResult] = []
    var summary = Safemap_Account_V1_IssuanceBatch()
  }

  @discardableResult
  static func issueApproved(_ bed: ReportingTestBed, province: String = "", as caller: Metadata)
    async throws -> Batch
  {
    try await bed.facilities { client in
      try await client.issueFacilityAccounts(
        metadata: caller,
        requestProducer: { writer in
          try await writer.write(
            .with {
              $0.options = .with {
                $0.provinceCode = province
                $0.approvedNominations = true
                $0.note = "Danh sách bổ sung"
              }
            }
          )
        }
      ) { response in
        var batch = Batch()
        for try await message in response.messages {
          switch message.item {
          case .result(let result): batch.results.append(result)
          case .summary(let summary): batch.summary = summary
          case nil: break
          }
        }
        return batch
      }
    }
  }
}
