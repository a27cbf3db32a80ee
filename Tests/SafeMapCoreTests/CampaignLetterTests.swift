import Foundation
import SafeMapCore
import Testing

@Suite("The campaign letter's wording")
struct CampaignLetterTests {
  /// Bình Phước's letter of 2021: 446 issued, 45 stopped, 401 active; 269 of 401 assessed, 135
  /// inside the zones and 134 outside; 198 safe, 31 unsafe, 40 at risk; 132 of 401 not
  /// assessed, 17 inside and 115 outside.
  static let binhPhuoc = CampaignLetter.Draft(
    province: "Bình Phước",
    campaign: "đợt rà soát tháng 9",
    asOf: "20/9/2021",
    inside: .init(issued: 152, stopped: 0, safe: 100, atRisk: 20, unsafe: 15, notAssessed: 17),
    outside: .init(issued: 294, stopped: 45, safe: 98, atRisk: 20, unsafe: 16, notAssessed: 115),
    reported: ["Hớn Quản", "Phú Riềng"],
    expected: 12,
    missing: ["Đồng Xoài", "Bình Long"],
    live: ["Đồng Xoài"]
  )

  @Test("the 2021 letter's figures, in its order")
  func figures() {
    let text = Self.binhPhuoc.paragraphs.joined(separator: "\n")
    var rest = Substring(text)
    for figure in [
      "446 cơ sở", "45 cơ sở", "401 cơ sở", "269/401", "135 cơ sở", "134 cơ sở", "198 cơ sở",
      "31 cơ sở", "40 cơ sở", "132/401", "17 cơ sở", "115 cơ sở", "2/12 đơn vị",
    ] {
      let found = rest.range(of: figure)
      #expect(found != nil, "\(figure) after what came before")
      if let found { rest = rest[found.upperBound...] }
    }
    #expect(text.contains("(67,1 %)"))
    #expect(text.contains("Hớn Quản, Phú Riềng"))
    #expect(text.contains("chưa gửi báo cáo: 2 đơn vị (Đồng Xoài, Bình Long)"))
    #expect(text.contains("Số liệu của Đồng Xoài là số liệu trên hệ thống"))
  }

  @Test("nothing missing, nothing live: no such paragraphs; Vietnam's day")
  func complete() {
    var draft = Self.binhPhuoc
    draft.missing = []
    draft.live = []
    #expect(draft.paragraphs.count == 5)
    // 17:00 UTC on 19 September is already the 20th in Vietnam.
    #expect(VietnamCalendar.day(Date(timeIntervalSince1970: 1_632_070_800)) == "20/9/2021")
  }
}
