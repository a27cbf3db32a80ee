import SafeMapCore
import Testing

@Suite("Field violations")
struct FieldViolationsTests {
  @Test("every violation is listed while the message fits, then how many more there are")
  func boundedMessage() {
    var few = FieldViolations()
    few.add("request_id", "required")
    few.add("units[0].unit_name", "required")
    #expect(few.message == "request_id: required; units[0].unit_name: required")

    var many = FieldViolations()
    for n in 0..<1_000 { many.add("units[\(n)].answers[0].option_code", "no such option") }
    let message = many.message
    #expect(message.utf8.count <= FieldViolations.messageBudget)
    #expect(message.hasPrefix("units[0].answers[0].option_code: no such option; units[1]"))
    let listed = message.split(separator: ";").count - 1
    #expect(message.hasSuffix("… and \(1_000 - listed) more violations"))

    var long = FieldViolations()
    long.add("units[0].unit_name", String(repeating: "Xưởng ", count: 2_000) + "appears twice")
    long.add("request_id", "required")
    #expect(long.message.utf8.count < 1_100)
    #expect(long.message.hasSuffix("…; request_id: required"))
  }

  @Test("scope fields must fit the role; a bad one can only ever reach no tenant")
  func scopeFitsRole() {
    let zone = "0b7c9d2e-8f1a-4b3c-9d5e-6f7a8b9c0d1e"
    #expect(Principal(accountID: "a", username: "m", role: .ministryAdmin).scopeProblem == nil)
    #expect(
      Principal(accountID: "a", username: "m", role: .ministryAdmin, provinceCode: "25")
        .scopeProblem != nil
    )
    for province in ["", "2", "250", "00", "x1"] {
      let officer = Principal(
        accountID: "b",
        username: "o",
        role: .provinceOfficer,
        provinceCode: province
      )
      #expect(officer.scopeProblem != nil, "province \(province)")
      #expect(officer.homeTenant != .national)
    }
    #expect(
      Principal(accountID: "c", username: "d", role: .districtOfficer, provinceCode: "25")
        .scopeProblem != nil
    )
    #expect(
      Principal(
        accountID: "c",
        username: "d",
        role: .districtOfficer,
        provinceCode: "25",
        districtCode: "227"
      ).scopeProblem == nil
    )
    #expect(
      Principal(accountID: "z", username: "z", role: .zoneOfficer, provinceCode: "25", zoneID: "x")
        .scopeProblem != nil
    )
    #expect(
      Principal(accountID: "z", username: "z", role: .zoneOfficer, provinceCode: "25", zoneID: zone)
        .scopeProblem == nil
    )
    #expect(
      Principal(accountID: "f", username: "f", role: .facility, provinceCode: "25").scopeProblem
        != nil
    )
  }
}
