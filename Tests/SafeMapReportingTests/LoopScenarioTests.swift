import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapCore
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// Bình Phước's whole loop on one database, as the department would live it: its eleven
/// districts and the zone board in one campaign, two report back (one returned first), the
/// letter names the ten that did not; five units answer the nomination drive, the province
/// approves, issues one batch, each district hands out its own facilities' credentials and
/// some facilities sign in.
@Suite("The loop: Bình Phước end to end")
struct LoopScenarioTests {
  @Test("2 of 12 report, the letter names 10; 5 of 12 nominate, one batch, hand-out, sign-in")
  func binhPhuoc() async throws {
    let bed = try await ReportingTestBed.start()
    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("70"))
    let zone = try await bed.facilities {
      try await $0.createZone(
        .with {
          $0.zone = .with {
            $0.name = "KKT cửa khẩu Hoa Lư"
            $0.zoneType = .economicZone
            $0.districtCode = SignOffTests.honQuan
          }
        },
        metadata: officer
      )
    }.zone.zoneID
    var rows = SignOffTests.districts.map { district in
      NominationTests.facility("Công ty huyện \(district)", tax: "380\(district)0000", district)
    }
    rows.append(
      NominationTests.facility("Công ty trong khu", tax: "3806940099", "694", zone: zone)
    )
    _ = try await bed.issue(rows, province: "70", as: officer)

    // Sign-off: Hớn Quản and Phú Riềng report, Phú Riềng is returned once, both accepted.
    let signOff = try await SignOffTests.World(
      bed: bed,
      officer: officer,
      zone: zone,
      facilities: [:]
    ).withNewCampaign()
    _ = try await signOff.submit(SignOffTests.honQuan, comment: "Đã rà soát")
    _ = try await signOff.submit(SignOffTests.phuRieng, comment: "Lần 1")
    _ = try await signOff.review([SignOffTests.phuRieng], .return, reason: "Thiếu danh sách")
    _ = try await signOff.submit(SignOffTests.phuRieng, comment: "Lần 2")
    _ = try await signOff.review([SignOffTests.honQuan, SignOffTests.phuRieng], .accept)
    let rate = try await signOff.rate()
    #expect(rate.expected == 12 && rate.submitted == 2 && rate.accepted == 2)
    let campaign = signOff.campaign
    let letter = try await bed.reports {
      try await $0.getCampaignLetter(.with { $0.campaignID = campaign }, metadata: officer)
    }
    #expect(letter.notReported.count == 10)
    let text = letter.paragraphs.joined(separator: "\n")
    #expect(text.contains("2/12 đơn vị"))
    for unit in letter.notReported { #expect(text.contains(unit.unit.name), "\(unit.unit.name)") }
    #expect(!letter.notReported.contains { $0.unit.code == SignOffTests.phuRieng })

    // Nominations: five units answer the drive, the other seven do not.
    let world = NominationTests.World(bed: bed, officer: officer, zone: zone)
    let drive = try await world.createDrive(deadline: Date().addingTimeInterval(3_600))
    var nominated: [String: [String]] = [:]
    for (index, district) in NominationTests.answering.enumerated() {
      let token = try await world.district(district)
      let answer = try await world.nominate(
        (1...2).map { n in
          NominationTests.facility(
            "Cơ sở chưa có tài khoản \(district)-\(n)",
            tax: "38\(district)200\(index)\(n)",
            district
          )
        },
        drive: drive.driveID,
        as: token
      )
      #expect(answer.nominated == 2)
      nominated[district] = answer.results.map(\.nomination.nominationID)
    }
    let answered = try await world.rate(drive.driveID)
    #expect(answered.responded == 5 && answered.expected == 12 && answered.missing == 7)

    // The province approves all ten at once and issues them as one batch.
    let approved = try await world.review(nominated.values.flatMap { $0 }, .approve)
    #expect(approved.count == 10 && approved.allSatisfy { $0.state == .approved })
    let batch = try await NominationTests.issueApproved(bed, as: officer)
    #expect(
      batch.summary.issuedCount == 10 && batch.results.allSatisfy { $0.initialPassword.isEmpty }
    )

    // Each district hands out its own two; three facilities sign in.
    var signedIn = 0
    for district in NominationTests.answering {
      let token = try await world.district(district)
      let awaiting = try await world.credentials(status: .awaitingHandOut, as: token)
        .filter { $0.name.hasPrefix("Cơ sở chưa có tài khoản") }
      #expect(awaiting.count == 2 && awaiting.allSatisfy { $0.districtCode == district })
      let sheet = try await world.handOut(awaiting.map(\.facilityID), as: token)
      if signedIn < 3 {
        let first = sheet[0]
        _ = try await bed.accounts {
          try await $0.login(
            .with {
              $0.username = first.credential.username
              $0.password = first.oneTimePassword
            }
          )
        }
        signedIn += 1
      }
    }
    let summary = try await bed.credentials {
      try await $0.summarizeFacilityCredentials(.init(), metadata: officer)
    }.units
    let answering = summary.filter {
      $0.unit.kind == .district && NominationTests.answering.contains($0.unit.code)
    }
    #expect(answering.map(\.activated).reduce(0, +) == 3)
    #expect(answering.map(\.handedOut).reduce(0, +) == 7)
    // The nominating units see their facilities through to the first sign-in.
    let progress = try await bed.nominations {
      try await $0.listNominations(.with { $0.driveID = drive.driveID }, metadata: officer)
    }.nominations
    #expect(progress.count == 10 && progress.allSatisfy { $0.state == .issued })
    #expect(progress.filter { $0.credentialStatus == .activated }.count == 3)
    #expect(progress.filter { $0.credentialStatus == .handedOut }.count == 7)
    try await bed.stop()
  }
}
