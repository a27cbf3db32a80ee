import Foundation
import SafeMapCore
import Testing

@Suite("Nomination and hand-out rules")
struct NominationRuleTests {
  typealias State = Nomination.State
  typealias Action = Nomination.ReviewAction

  @Test("approve and ask from submitted only; reject also while waiting for an answer")
  func transitions() {
    for action in Action.allCases {
      let allowed = State.allCases.filter { action.next(from: $0) != nil }
      #expect(allowed == action.from, "\(action)")
    }
    #expect(Action.approve.next(from: .submitted) == .approved)
    #expect(Action.reject.next(from: .needsInformation) == .rejected)
    #expect(Action.askForInformation.next(from: .submitted) == .needsInformation)
    #expect(Action.approve.next(from: .needsInformation) == nil, "the answer comes first")
    #expect(!Action.approve.needsReason)
    #expect(Action.reject.needsReason && Action.askForInformation.needsReason)
    #expect(State.allCases.filter(\.mayUpdate) == [.submitted, .needsInformation])
  }

  @Test("a drive's answer is on time by its deadline, late after it, missing without one")
  func timeliness() {
    let deadline = Date(timeIntervalSince1970: 1_630_000_000)
    #expect(Nomination.timeliness(respondedAt: deadline, deadline: deadline) == .onTime)
    #expect(Nomination.timeliness(respondedAt: deadline + 1, deadline: deadline) == .late)
    #expect(Nomination.timeliness(respondedAt: nil, deadline: deadline) == .missing)
  }

  @Test("similar names: legal words and accents aside, the same company reads as similar")
  func similarNames() {
    #expect(NameSimilarity.isSimilar("Công ty TNHH May Việt Tiến", "CTY may Viet Tien"))
    #expect(NameSimilarity.isSimilar("Công ty CP Gỗ Minh Phát", "Gỗ Minh Phát"))
    #expect(NameSimilarity.isSimilar("DNTN Hoàng Phát", "Doanh nghiệp tư nhân Hoàng Phát"))
    #expect(!NameSimilarity.isSimilar("Công ty TNHH May Việt Tiến", "Công ty TNHH Gỗ Minh Phát"))
    #expect(!NameSimilarity.isSimilar("Xưởng gỗ số 1", "Nhà máy điện tử Minh Hưng"))
    // One shared word is not enough between two long names.
    #expect(!NameSimilarity.isSimilar("Công ty Điện tử Minh Hưng", "Công ty Cao su Minh Long"))
    #expect(NameSimilarity.words("Công ty TNHH Một thành viên Đồng Xoài") == ["dong", "xoai"])
    #expect(NameSimilarity.words("Công ty") == ["cong", "ty"], "a name of legal words only")
    #expect(!NameSimilarity.isSimilar("", "Công ty"))
  }

  @Test("a credential is handed out once; a reissue replaces only an unused one")
  func handOut() {
    #expect(CredentialStatus.awaitingHandOut.mayHandOut(reissue: false))
    #expect(!CredentialStatus.handedOut.mayHandOut(reissue: false))
    #expect(!CredentialStatus.expired.mayHandOut(reissue: false))
    #expect(!CredentialStatus.activated.mayHandOut(reissue: false))
    #expect(CredentialStatus.handedOut.mayHandOut(reissue: true))
    #expect(CredentialStatus.expired.mayHandOut(reissue: true))
    #expect(!CredentialStatus.activated.mayHandOut(reissue: true))
    #expect(!CredentialStatus.awaitingHandOut.mayHandOut(reissue: true), "a first hand-out")
  }

  @Test("who nominates, reviews and hands out")
  func access() {
    let district = Principal(
      accountID: "a",
      username: "d",
      role: .districtOfficer,
      provinceCode: "70",
      districtCode: "698"
    )
    let zone = Principal(
      accountID: "b",
      username: "z",
      role: .zoneOfficer,
      provinceCode: "70",
      zoneID: "ABC"
    )
    let province = Principal(
      accountID: "c",
      username: "p",
      role: .provinceOfficer,
      provinceCode: "70"
    )
    let ministry = Principal(accountID: "m", username: "m", role: .ministryAdmin)
    #expect(AccessPolicy.unit(of: district)?.code == "698")
    #expect(AccessPolicy.unit(of: zone)?.code == "abc", "zone ids compare in lower case")
    #expect(AccessPolicy.unit(of: province) == nil)
    #expect(AccessPolicy.mayNominate(district) && !AccessPolicy.mayNominate(province))
    #expect(
      AccessPolicy.mayReviewNominations(province) && !AccessPolicy.mayReviewNominations(district)
    )
    let inDistrict = AccessPolicy.FacilityPlace(
      province: "70",
      district: "698",
      zone: "",
      facility: "f"
    )
    let elsewhere = AccessPolicy.FacilityPlace(
      province: "70",
      district: "689",
      zone: "",
      facility: "g"
    )
    #expect(AccessPolicy.mayHandOutCredential(district, inDistrict))
    #expect(!AccessPolicy.mayHandOutCredential(district, elsewhere))
    #expect(AccessPolicy.mayHandOutCredential(province, elsewhere))
    #expect(!AccessPolicy.mayHandOutCredential(ministry, inDistrict), "the ministry reads only")
  }
}
