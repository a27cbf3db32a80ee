/// What a principal may do (docs/domain.md). Raw values are the names used in tokens and SQL.
public enum Role: String, CaseIterable, Sendable, Hashable {
  case ministryAdmin = "MINISTRY_ADMIN"
  case provinceOfficer = "PROVINCE_OFFICER"
  case districtOfficer = "DISTRICT_OFFICER"
  case zoneOfficer = "ZONE_OFFICER"
  case healthInspector = "HEALTH_INSPECTOR"
  case facility = "FACILITY"

  /// Whether the role's scope is the whole country rather than one province.
  public var isNational: Bool { self == .ministryAdmin }

  /// Roles an account of this role may create (docs/domain.md): the ministry creates province
  /// officers (and further ministry admins); a province officer creates district, zone and
  /// inspector accounts of its province. Facility accounts come only from bulk issuance.
  public var creatableRoles: Set<Role> {
    switch self {
    case .ministryAdmin:
      return [.ministryAdmin, .provinceOfficer, .districtOfficer, .zoneOfficer, .healthInspector]
    case .provinceOfficer:
      return [.districtOfficer, .zoneOfficer, .healthInspector]
    case .districtOfficer, .zoneOfficer, .healthInspector, .facility:
      return []
    }
  }
}
