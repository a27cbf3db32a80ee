import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapAuth
import SafeMapCore
import SwiftProtobuf

/// One province of the demo, through the RPCs: its officials, zones, facilities and their
/// accounts, assessments, suspensions, inspections and a campaign.
struct ProvinceLoader: Sendable {
  let province: DemoPlan.Province
  let clients: DemoClients
  let admin: Metadata
  let signer: TokenSigner
  let answers: LevelAnswers
  let configuration: NationalDemo.Configuration

  struct Loaded: Sendable {
    var ages: [(assessment: String, age: TimeInterval)] = []
    var levels: [String: Int] = [:]
    var suspended = 0
    var inspections = 0
  }

  static func officerUsername(_ province: String) -> String { "officer.\(province)" }

  var code: String { province.code }

  func load() async throws -> Loaded {
    let featured = code == configuration.featuredProvince
    let officer = try await official(
      .provinceOfficer,
      Self.officerUsername(code),
      name: "Sở Công Thương \(code)",
      password: featured ? configuration.officerPassword : Self.randomPassword()
    )
    let inspector = try await official(
      .healthInspector,
      "cdc.\(code)",
      name: "CDC \(code)",
      password: Self.randomPassword()
    )
    var zoneIDs: [String] = []
    for (k, zone) in province.zones.enumerated() {
      let created = try await clients.facilities.createZone(
        .with {
          $0.requestID = "demo-zone-\(code)-\(k)"
          $0.zone = .with {
            $0.provinceCode = code
            $0.name = zone.name
            $0.zoneType =
              zone.kind == "CCN"
              ? .industrialCluster : zone.kind == "KKT" ? .economicZone : .industrialZone
            $0.districtCode = zone.districtCode
          }
        },
        metadata: officer
      )
      zoneIDs.append(created.zone.zoneID)
    }
    let facilityIDs = try await issue(as: officer, zones: zoneIDs)
    let accounts = try await facilityAccounts(as: officer)
    var loaded = try await assess(facilityIDs: facilityIDs, accounts: accounts)
    try await stopAndInspect(
      facilityIDs: facilityIDs,
      officer: officer,
      inspector: inspector,
      loaded: &loaded
    )
    _ = try await clients.reporting.createCampaign(
      .with {
        $0.requestID = "demo-campaign-\(code)"
        $0.campaign = .with {
          $0.provinceCode = code
          $0.title = "Đánh giá định kỳ cuối năm"
          $0.description_p = "Mọi cơ sở đang hoạt động cập nhật bản tự đánh giá."
          $0.startTime = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(-5 * 86_400))
          $0.deadline = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(9 * 86_400))
        }
      },
      metadata: officer
    )
    return loaded
  }

  /// A province official, created by the admin, signed in once to choose `password`.
  func official(_ role: Safemap_Common_V1_Role, _ username: String, name: String, password: String)
    async throws -> Metadata
  {
    let created = try await clients.account.createAccount(
      .with {
        $0.requestID = "demo-\(username)"
        $0.username = username
        $0.role = role
        $0.provinceCode = code
        $0.displayName = name
      },
      metadata: admin
    )
    return try await clients.signIn(username, created.initialPassword, newPassword: password)
  }

  static func randomPassword() -> String {
    "Demo-" + UUID().uuidString.prefix(18)
  }

  /// Issues every planned facility in one batch; their ids by plan index.
  func issue(as officer: Metadata, zones: [String]) async throws -> [Int: String] {
    let planned = province.facilities
    let code = self.code
    return try await clients.facilities.issueFacilityAccounts(metadata: officer) { writer in
      try await writer.write(
        .with {
          $0.options = .with {
            $0.provinceCode = code
            $0.requestID = "demo-issuance-\(code)"
            $0.note = "make run: national demo"
          }
        }
      )
      for (index, facility) in planned.enumerated() {
        try await writer.write(
          .with {
            $0.row = .with {
              $0.rowNumber = Int32(index + 1)
              $0.facility = .with {
                $0.name = facility.name
                $0.taxCode = facility.taxCode
                $0.address = "Lô \(index + 1), đường số \(index % 40 + 1)"
                $0.districtCode = facility.districtCode
                $0.zoneID = facility.zone.map { zones[$0] } ?? ""
                $0.sector = facility.sector
                $0.workerCount = facility.workers
                $0.workshopAreaM2 = Double(facility.workers) * 4
                $0.hasDormitory_p = facility.dormitoryResidents > 0
                $0.dormitoryResidents = facility.dormitoryResidents
                $0.contactPhone = "0274 3\(String(format: "%06d", index))"
                $0.location = .with {
                  $0.latitude = facility.latitude
                  $0.longitude = facility.longitude
                }
              }
            }
          }
        )
      }
    } onResponse: { response in
      var ids: [Int: String] = [:]
      for try await message in response.messages {
        guard case .result(let result) = message.item else { continue }
        guard result.outcome == .issued || result.outcome == .alreadyIssued else {
          let reasons = result.violations.map { "\($0.field): \($0.description_p)" }
          throw DemoError("row \(result.rowNumber) refused: \(reasons.joined(separator: "; "))")
        }
        ids[Int(result.rowNumber) - 1] = result.facilityID
      }
      return ids
    }
  }

  /// Each facility account's id by facility id, for the facilities' tokens.
  func facilityAccounts(as officer: Metadata) async throws -> [String: String] {
    var accounts: [String: String] = [:]
    var token = ""
    repeat {
      let page = try await clients.account.listAccounts(
        .with {
          $0.provinceCode = code
          $0.role = .facility
          $0.pageSize = 1000
          $0.pageToken = token
        },
        metadata: officer
      )
      for account in page.accounts { accounts[account.scope.facilityID] = account.accountID }
      token = page.nextPageToken
    } while !token.isEmpty
    return accounts
  }

  /// Every planned assessment through SubmitAssessment, each facility's in order, a few
  /// facilities at a time.
  func assess(facilityIDs: [Int: String], accounts: [String: String]) async throws -> Loaded {
    let work = province.facilities.enumerated().compactMap { index, facility in
      facilityIDs[index].map { (facility, $0) }
    }
    var loaded = Loaded()
    try await withThrowingTaskGroup(of: Loaded.self) { group in
      var next = 0
      func start() {
        guard next < work.count else { return }
        let (facility, id) = work[next]
        next += 1
        group.addTask {
          try await submit(
            facility,
            id: id,
            accountID: accounts[id] ?? UUID().uuidString.lowercased()
          )
        }
      }
      for _ in 0..<configuration.concurrency { start() }
      while let done = try await group.next() {
        loaded.ages += done.ages
        for (level, count) in done.levels { loaded.levels[level, default: 0] += count }
        start()
      }
    }
    return loaded
  }

  func submit(_ facility: DemoPlan.Facility, id: String, accountID: String) async throws -> Loaded {
    var loaded = Loaded()
    guard !facility.assessments.isEmpty else { return loaded }
    let principal = Principal(
      accountID: accountID,
      username: facility.taxCode,
      role: .facility,
      provinceCode: code,
      facilityID: id
    )
    let token = DemoClients.bearer(try await signer.sign(principal).token)
    for (n, planned) in facility.assessments.enumerated() {
      let request = Safemap_Assessment_V1_SubmitAssessmentRequest.with {
        $0.requestID = "demo-\(id)-\(n)"
        $0.provinceCode = code
        $0.facilityID = id
        $0.kind = planned.dormitory ? .dormitory : .workplace
        $0.units = [
          .with {
            $0.unitName = planned.dormitory ? "Ký túc xá" : "Xưởng chính"
            $0.answers = answers.answers(dormitory: planned.dormitory, level: planned.level)
          }
        ]
      }
      // Idempotent by its request id, so safe to send again.
      let response = try await DemoClients.retrying {
        try await clients.assessment.submitAssessment(request, metadata: token)
      }
      loaded.ages.append((response.assessment.assessmentID, planned.age))
      loaded.levels[Self.levelName(response.assessment.mapLevel), default: 0] += 1
    }
    return loaded
  }

  static func levelName(_ level: Safemap_Common_V1_MapLevel) -> String {
    switch level {
    case .safe: "safe"
    case .atRisk: "at risk"
    case .unsafe: "unsafe"
    default: "other"
    }
  }

  /// Suspensions and closures from their planned day; inspections on theirs.
  func stopAndInspect(
    facilityIDs: [Int: String],
    officer: Metadata,
    inspector: Metadata,
    loaded: inout Loaded
  ) async throws {
    for (index, facility) in province.facilities.enumerated() {
      guard let id = facilityIDs[index] else { continue }
      if let daysAgo = facility.stoppedDaysAgo {
        _ = try await clients.facilities.setOperatingStatus(
          .with {
            $0.provinceCode = code
            $0.facilityID = id
            $0.status = facility.closed ? .closed : .suspended
            $0.reason = facility.closed ? "Ngừng sản xuất" : "Tạm dừng: có ca F0 tại xưởng"
            $0.effectiveDate = Self.vietnamDate(daysAgo: daysAgo)
          },
          metadata: officer
        )
        loaded.suspended += 1
      }
      if let inspection = facility.inspection {
        _ = try await clients.assessment.recordInspection(
          .with {
            $0.requestID = "demo-inspection-\(id)"
            $0.provinceCode = code
            $0.facilityID = id
            $0.inspectionDate = Self.vietnamDate(daysAgo: inspection.daysAgo)
            $0.findings = "Kiểm tra thực tế việc thực hiện phương án phòng chống dịch."
            $0.levelFound =
              inspection.level == .safe ? .safe : inspection.level == .atRisk ? .atRisk : .unsafe
            $0.inspectorName = "Đoàn kiểm tra liên ngành"
          },
          metadata: inspector
        )
        loaded.inspections += 1
      }
    }
  }

  /// The calendar day `daysAgo` days before today in Vietnam (UTC+7).
  static func vietnamDate(daysAgo: Int) -> Safemap_Common_V1_Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 7 * 3600)!
    let day = calendar.dateComponents(
      [.year, .month, .day],
      from: Date().addingTimeInterval(-Double(daysAgo) * 86_400)
    )
    return .with {
      $0.year = Int32(day.year!)
      $0.month = Int32(day.month!)
      $0.day = Int32(day.day!)
    }
  }
}
