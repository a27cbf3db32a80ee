import SafeMapCore
import Testing

@Suite("Principal and tenant")
struct PrincipalTests {
  let ministry = Principal(accountID: "a", username: "m", role: .ministryAdmin)
  let officer = Principal(accountID: "b", username: "o", role: .provinceOfficer, provinceCode: "25")

  @Test("the ministry must name a well-formed province")
  func ministryNamesProvince() {
    #expect(ministry.resolveProvince(requested: "70") == .resolved(.province("70")!))
    #expect(ministry.resolveProvince(requested: "") == .missing)
    #expect(ministry.resolveProvince(requested: "7") == .malformed)
    #expect(ministry.resolveProvince(requested: "00") == .malformed)
  }

  @Test("a province user gets its own province and never another")
  func provinceUserStaysHome() {
    #expect(officer.resolveProvince(requested: "") == .resolved(.province("25")!))
    #expect(officer.resolveProvince(requested: "25") == .resolved(.province("25")!))
    #expect(officer.resolveProvince(requested: "70") == .otherProvince)
  }

  @Test("home tenants: national for the ministry, the province otherwise")
  func homeTenant() {
    #expect(ministry.homeTenant == .national)
    #expect(officer.homeTenant.code == "25")
  }

  @Test("province and district codes")
  func codes() {
    #expect(ProvinceCode.isWellFormed("01"))
    #expect(!ProvinceCode.isWellFormed("00"))
    #expect(!ProvinceCode.isWellFormed("1a"))
    #expect(!ProvinceCode.isWellFormed("251"))
    #expect(DistrictCode.isWellFormed("227"))
    #expect(!DistrictCode.isWellFormed("27"))
  }

  @Test("who may create whom")
  func creatableRoles() {
    #expect(Role.ministryAdmin.creatableRoles.contains(.provinceOfficer))
    #expect(!Role.provinceOfficer.creatableRoles.contains(.provinceOfficer))
    #expect(
      Role.provinceOfficer.creatableRoles == [.districtOfficer, .zoneOfficer, .healthInspector]
    )
    #expect(Role.facility.creatableRoles.isEmpty)
    #expect(Role.allCases.allSatisfy { !$0.creatableRoles.contains(.facility) })
  }
}

@Suite("Credentials rules")
struct CredentialRuleTests {
  @Test("password length and username rules each name the field")
  func passwordPolicy() {
    #expect(PasswordPolicy.violations(password: "long enough", username: "admin").isEmpty)
    let short = PasswordPolicy.violations(password: "short", username: "admin")
    #expect(short.message == "password: must be at least 8 characters")
    let same = PasswordPolicy.violations(password: "Officer25", username: "officer25")
    #expect(same.message == "password: must not be the username")
    let long = PasswordPolicy.violations(
      password: String(repeating: "x", count: 129),
      username: "a",
      field: "new_password"
    )
    #expect(long.message == "new_password: must be at most 128 characters")
  }

  @Test("usernames are 3–64 ASCII characters")
  func usernames() {
    #expect(Username.isWellFormed("so.congthuong-25@phutho"))
    #expect(!Username.isWellFormed("ab"))
    #expect(!Username.isWellFormed("người dùng"))
    #expect(!Username.isWellFormed(String(repeating: "a", count: 65)))
  }

  @Test("search text ignores case and Vietnamese accents")
  func searchText() {
    #expect(SearchText.fold("Công ty TNHH  Đồng Xoài") == "cong ty tnhh dong xoai")
    #expect(SearchText.fold("Thanh Thuỷ") == SearchText.fold("thanh thuy"))
  }

  @Test("violations are listed together")
  func violationsList() {
    var violations = FieldViolations()
    violations.require(false, "facility.tax_code", "must be 10 digits")
    violations.require(true, "facility.name", "required")
    violations.add("facility.location", "outside Vietnam")
    #expect(violations.all.map(\.field) == ["facility.tax_code", "facility.location"])
    #expect(
      violations.message
        == "facility.tax_code: must be 10 digits; facility.location: outside Vietnam"
    )
  }
}

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
