import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// The loop on the web: a district officer pastes a sheet of facilities without an account,
/// the province approves and issues them, the district prints one letter per facility, once.
@Suite("Nominations and hand-out pages")
struct NominationPagesTests {
  /// The facility ids of the rows of `page` whose tax code is one of `taxCodes`.
  static func ids(in page: String, taxCodes: [String]) -> [String] {
    taxCodes.compactMap { tax in
      let marker = "</th><td>\(tax)</td>"
      guard let end = page.range(of: marker)?.lowerBound else { return nil }
      let before = page[..<end]
      guard let value = before.range(of: "value=\"", options: .backwards) else { return nil }
      return String(before[value.upperBound...].prefix(36))
    }
  }

  /// A new official of Bình Phước (70), signed in on `client` with a password of its own:
  /// province 74 is the other tests' fixture, and its figures must not move under them.
  static func official(
    _ role: Safemap_Common_V1_Role,
    district: String = "",
    bed: WebTestBed,
    admin: Metadata
  ) async throws -> WebClient {
    let created = try await withLocalClient(port: bed.account.port) { client in
      try await Safemap_Account_V1_AccountService.Client(wrapping: client).createAccount(
        .with {
          $0.requestID = UUID().uuidString
          $0.username = "binhphuoc.\(UUID().uuidString.prefix(8).lowercased())"
          $0.role = role
          $0.provinceCode = "70"
          $0.districtCode = district
        },
        metadata: admin
      )
    }
    let client = WebClient(port: bed.webPort)
    try await bed.signIn(client, created.account.username, created.initialPassword)
    let password = "Bình-Phước-\(UUID().uuidString.prefix(6))"
    let change = try await client.get("/password")
    let changed = try await client.post(
      "/password",
      form: [
        ("csrf", change.csrf ?? ""), ("current_password", created.initialPassword),
        ("new_password", password), ("confirm_password", password),
      ]
    )
    #expect(changed.status == 302)
    return client
  }

  @Test("a district nominates from a pasted sheet, the province issues, the district prints")
  func nominateIssuePrint() async throws {
    let bed = try await WebTestBed.shared.value
    let admin = try await bed.token("admin", WebTestBed.adminPassword)
    let district = try await Self.official(
      .districtOfficer,
      district: "698",
      bed: bed,
      admin: admin
    )
    let province = try await Self.official(.provinceOfficer, bed: bed, admin: admin)

    let page = try await district.get("/nominations")
    #expect(page.status == 200)
    #expect(page.text.contains("Đề xuất một cơ sở"))
    let suffix = String(Int.random(in: 1000...9999))
    let taxCodes = ["010999\(suffix)", "010998\(suffix)"]
    let csv = """
      name,tax_code,district_code,worker_count
      Xưởng điều Long Hà,\(taxCodes[0]),698,40
      Cơ sở chế biến mủ Bù Nho,\(taxCodes[1]),698,15
      Ngoài huyện,010997\(suffix),689,5
      """
    let sent = try await district.post(
      "/nominations/sheet",
      form: [("csrf", page.csrf ?? ""), ("csv", csv), ("drive", "")]
    )
    #expect(sent.status == 200)
    #expect(sent.text.contains("Đã đề xuất 2 cơ sở"), "\(sent.text.prefix(2000))")
    #expect(sent.text.contains("Dòng 4"))

    let submitted = try await province.get("/nominations?state=submitted")
    let nominations = submitted.text.components(separatedBy: "name=\"id\" value=\"").dropFirst()
      .map { String($0.prefix(36)) }
    #expect(nominations.count >= 2)
    let reviewed = try await province.post(
      "/nominations/review",
      form: [("csrf", submitted.csrf ?? ""), ("action", "APPROVE"), ("reason", "")]
        + nominations.map { ("id", $0) }
    )
    #expect(reviewed.status == 302)
    let issued = try await province.post(
      "/nominations/issue",
      form: [("csrf", submitted.csrf ?? ""), ("note", "bổ sung")]
    )
    #expect(issued.status == 200)
    #expect(issued.text.contains("Giao tài khoản"), "\(issued.text.prefix(2000))")

    let awaiting = try await district.get("/credentials?status=awaiting")
    #expect(awaiting.status == 200)
    let ids = Self.ids(in: awaiting.text, taxCodes: taxCodes)
    #expect(ids.count == 2, "\(awaiting.text.prefix(3000))")
    let letters = try await district.post(
      "/credentials/hand-out",
      form: [("csrf", awaiting.csrf ?? ""), ("method", "LETTER")] + ids.map { ("id", $0) }
    )
    #expect(letters.status == 200)
    #expect(letters.header("Cache-Control") == "no-store")
    #expect(letters.text.components(separatedBy: "<article class=\"letter\">").count == 3)
    #expect(letters.text.contains(taxCodes[0]) && letters.text.contains("Mật khẩu một lần"))
    #expect(letters.text.contains("/login"))
    let again = try await district.post(
      "/credentials/hand-out",
      form: [("csrf", awaiting.csrf ?? ""), ("method", "SHEET")] + ids.map { ("id", $0) }
    )
    #expect(again.status == 400, "a credential is handed out once")
    #expect(again.text.contains("HANDED_OUT"))
    let summary = try await province.get("/credentials")
    #expect(summary.text.contains("Phú Riềng"))
  }
}
