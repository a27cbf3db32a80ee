import SafeMapCore
import Testing

@Suite("Access policy")
struct AccessPolicyTests {
  static let zone = "6f1c2a9e-0b7d-4e1a-9c3e-5d2f8a7b6c41"
  static let facility = "0d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f60"
  let ministry = Principal(accountID: "m", username: "m", role: .ministryAdmin)
  let officer = Principal(accountID: "o", username: "o", role: .provinceOfficer, provinceCode: "25")
  let inspector = Principal(
    accountID: "i",
    username: "i",
    role: .healthInspector,
    provinceCode: "25"
  )
  let district = Principal(
    accountID: "d",
    username: "d",
    role: .districtOfficer,
    provinceCode: "25",
    districtCode: "227"
  )
  let zoneOfficer = Principal(
    accountID: "z",
    username: "z",
    role: .zoneOfficer,
    provinceCode: "25",
    zoneID: zone
  )
  let facilityAccount = Principal(
    accountID: "f",
    username: "f",
    role: .facility,
    provinceCode: "25",
    facilityID: facility
  )

  func place(_ province: String, _ district: String, zone: String = "", facility: String = "x")
    -> AccessPolicy.FacilityPlace
  {
    .init(province: province, district: district, zone: zone, facility: facility)
  }

  @Test("who reads which facility")
  func facilityReads() {
    let inZone = place("25", "227", zone: Self.zone)
    let elsewhere = place("25", "230")
    let otherProvince = place("70", "689")
    #expect(AccessPolicy.canRead(ministry, otherProvince))
    #expect(
      AccessPolicy.canRead(officer, elsewhere) && !AccessPolicy.canRead(officer, otherProvince)
    )
    #expect(AccessPolicy.canRead(inspector, elsewhere))
    #expect(AccessPolicy.canRead(district, inZone) && !AccessPolicy.canRead(district, elsewhere))
    #expect(
      AccessPolicy.canRead(zoneOfficer, inZone) && !AccessPolicy.canRead(zoneOfficer, elsewhere)
    )
    // A facility outside any zone is not in the zone officer's scope, even with an empty id.
    let broken = Principal(accountID: "z", username: "z", role: .zoneOfficer, provinceCode: "25")
    #expect(!AccessPolicy.canRead(broken, elsewhere))
    #expect(AccessPolicy.canRead(facilityAccount, place("25", "230", facility: Self.facility)))
    #expect(!AccessPolicy.canRead(facilityAccount, place("70", "689", facility: Self.facility)))
    #expect(!AccessPolicy.canRead(facilityAccount, elsewhere))
  }

  @Test("who may do what")
  func actions() {
    let everyone = [ministry, officer, inspector, district, zoneOfficer, facilityAccount]
    #expect(
      everyone.filter(AccessPolicy.mayAdministerRegistry).map(\.role) == [
        .ministryAdmin, .provinceOfficer,
      ]
    )
    #expect(
      everyone.filter(AccessPolicy.mayRecordInspections).map(\.role) == [
        .provinceOfficer, .healthInspector,
      ]
    )
    #expect(everyone.filter(AccessPolicy.mayReadWholeProvince).count == 3)
    #expect(everyone.filter(AccessPolicy.mayReadReports).count == 5)
    #expect(everyone.filter(AccessPolicy.mayReadNationalReports).map(\.role) == [.ministryAdmin])
    #expect(everyone.filter(AccessPolicy.mayCreateCampaign).map(\.role) == [.provinceOfficer])
    #expect(AccessPolicy.maySubmitAssessment(facilityAccount, facility: Self.facility))
    #expect(!AccessPolicy.maySubmitAssessment(facilityAccount, facility: "other"))
    #expect(!AccessPolicy.maySubmitAssessment(officer, facility: ""))
    #expect(AccessPolicy.mayManageAccount(officer, role: .facility, province: "25"))
    #expect(!AccessPolicy.mayManageAccount(officer, role: .facility, province: "70"))
    #expect(!AccessPolicy.mayManageAccount(officer, role: .provinceOfficer, province: "25"))
    #expect(AccessPolicy.mayManageAccount(ministry, role: .provinceOfficer, province: "70"))
    #expect(!AccessPolicy.mayManageAccount(district, role: .facility, province: "25"))
  }

  @Test("district and zone officers read their own part whatever they ask for")
  func narrowing() {
    #expect(AccessPolicy.narrow(district, district: "230", zone: "").district == "227")
    #expect(AccessPolicy.narrow(zoneOfficer, district: "", zone: "").zone == Self.zone)
    #expect(AccessPolicy.narrow(officer, district: "230", zone: "").district == "230")
  }

  @Test("report scopes: province, narrowing, refusals")
  func reportScopes() throws {
    #expect(try ReportScope.resolve(officer, province: "").get() == ReportScope(province: "25"))
    #expect(
      ReportScope.resolve(officer, province: "70")
        == .failure(.outsideScope(field: "province_code"))
    )
    #expect(ReportScope.resolve(ministry, province: "") == .failure(.provinceRequired))
    #expect(
      try ReportScope.resolve(ministry, province: "", allowNational: true).get().province == nil
    )
    #expect(
      ReportScope.resolve(ministry, province: "7") == .failure(.malformed(field: "province_code"))
    )
    #expect(ReportScope.resolve(facilityAccount, province: "25") == .failure(.notAnOfficial))
    #expect(
      ReportScope.resolve(officer, province: "", district: "22")
        == .failure(.malformed(field: "district_code"))
    )
    let narrowed = try? ReportScope.resolve(district, province: "25", district: "230").get()
    #expect(narrowed == ReportScope(province: "25", district: "227"))
    // A district officer's national request is its own district.
    let own = try? ReportScope.resolve(district, province: "", allowNational: true).get()
    #expect(own == ReportScope(province: "25", district: "227"))
    let zone = try? ReportScope.resolve(zoneOfficer, province: "", district: "227").get()
    #expect(zone == ReportScope(province: "25", district: "227", zone: Self.zone))
  }
}
