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
