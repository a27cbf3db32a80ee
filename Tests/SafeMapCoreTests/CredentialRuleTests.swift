import SafeMapCore
import Testing

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
