/// Who may see and do what (docs/domain.md: roles), in one place for all three services.
///
/// Every rule reads only the verified ``Principal``; request fields can narrow what a rule
/// allows, never widen it. Services ask these questions and turn a "no" into the gRPC status
/// that fits (PERMISSION_DENIED for an action, NOT_FOUND for a single object so ids do not leak).
public enum AccessPolicy {
  /// The part of the country a principal reads.
  public enum ReadScope: Hashable, Sendable {
    case national
    case province(String)
    case district(province: String, district: String)
    case zone(province: String, zone: String)
    case facility(province: String, facility: String)

    /// The province the scope lies in; `nil` for the national scope.
    public var province: String? {
      switch self {
      case .national: return nil
      case .province(let p), .district(let p, _), .zone(let p, _), .facility(let p, _): return p
      }
    }
  }

  /// Where a facility sits: what scope checks compare.
  public struct FacilityPlace: Hashable, Sendable {
    public var province: String
    public var district: String
    /// Empty when the facility is in no zone.
    public var zone: String
    public var facility: String

    public init(province: String, district: String, zone: String, facility: String) {
      self.province = province
      self.district = district
      self.zone = zone
      self.facility = facility
    }
  }

  public static func readScope(_ p: Principal) -> ReadScope {
    switch p.role {
    case .ministryAdmin: return .national
    case .provinceOfficer, .healthInspector: return .province(p.provinceCode)
    case .districtOfficer: return .district(province: p.provinceCode, district: p.districtCode)
    case .zoneOfficer: return .zone(province: p.provinceCode, zone: p.zoneID)
    case .facility: return .facility(province: p.provinceCode, facility: p.facilityID)
    }
  }

  /// Whether the principal may read this facility's profile, status and history.
  public static func canRead(_ p: Principal, _ place: FacilityPlace) -> Bool {
    switch readScope(p) {
    case .national: return true
    case .province(let province): return place.province == province
    case .district(let province, let district):
      return place.province == province && place.district == district
    case .zone(let province, let zone):
      return place.province == province && !zone.isEmpty && place.zone == zone
    case .facility(let province, let facility):
      return place.province == province && place.facility == facility
    }
  }

  /// Registering facilities and zones, setting operating status, issuing facility accounts.
  public static func mayAdministerRegistry(_ p: Principal) -> Bool {
    p.role == .ministryAdmin || p.role == .provinceOfficer
  }

  /// Reading every facility of a province without naming one (lists of inspections, say).
  public static func mayReadWholeProvince(_ p: Principal) -> Bool {
    [.ministryAdmin, .provinceOfficer, .healthInspector].contains(p.role)
  }

  /// Recording health inspections: the health department, and the province's own officers.
  public static func mayRecordInspections(_ p: Principal) -> Bool {
    p.role == .healthInspector || p.role == .provinceOfficer
  }

  /// Submitting self-assessments: only a facility, for itself.
  public static func maySubmitAssessment(_ p: Principal, facility: String) -> Bool {
    p.role == .facility && p.facilityID == facility
  }

  /// Criteria catalogues are national reference data.
  public static func mayManageCatalogues(_ p: Principal) -> Bool { p.role == .ministryAdmin }

  /// A province's validity period and overdue rule.
  public static func mayChangeProvinceSettings(_ p: Principal) -> Bool {
    mayAdministerRegistry(p)
  }

  /// Summaries, lists, the map layer, campaign progress and trends: every official.
  public static func mayReadReports(_ p: Principal) -> Bool { p.role != .facility }

  /// R6 and national trends.
  public static func mayReadNationalReports(_ p: Principal) -> Bool { p.role == .ministryAdmin }

  /// Campaigns are the province department's deadlines (docs/domain.md: workflow step 5).
  public static func mayCreateCampaign(_ p: Principal) -> Bool { p.role == .provinceOfficer }

  /// A unit's report is submitted by that unit's own officer: a district officer for its
  /// district, a zone officer for its zone (compared lower-case).
  public static func maySubmitUnitReport(
    _ p: Principal,
    kind: UnitReport.UnitKind,
    code: String
  ) -> Bool {
    switch (p.role, kind) {
    case (.districtOfficer, .district): p.districtCode == code
    case (.zoneOfficer, .zone): p.zoneID.lowercased() == code.lowercased()
    default: false
    }
  }

  /// Accepting, returning and reopening units' reports: the province department.
  public static func mayReviewUnitReports(_ p: Principal) -> Bool { p.role == .provinceOfficer }

  /// The reporting unit a principal acts for: a district officer's district, a zone officer's
  /// zone; nil for everyone else.
  public static func unit(of p: Principal) -> (kind: UnitReport.UnitKind, code: String)? {
    switch p.role {
    case .districtOfficer: (.district, p.districtCode)
    case .zoneOfficer: (.zone, p.zoneID.lowercased())
    default: nil
    }
  }

  /// Nominating facilities without an account: a unit's officer, for its own unit.
  public static func mayNominate(_ p: Principal) -> Bool { unit(of: p) != nil }

  /// Nomination drives and the review of nominations: the province department.
  public static func mayReviewNominations(_ p: Principal) -> Bool { p.role == .provinceOfficer }

  /// Reading nominations and credential status: the province and the ministry for the whole
  /// province, a unit's officer for its unit.
  public static func mayReadNominations(_ p: Principal) -> Bool {
    [.ministryAdmin, .provinceOfficer, .districtOfficer, .zoneOfficer].contains(p.role)
  }

  /// Handing out a facility's one-time password: its district's officer, its zone's officer, or
  /// the province department; never the ministry (it reads, it does not hand out).
  public static func mayHandOutCredential(_ p: Principal, _ place: FacilityPlace) -> Bool {
    switch p.role {
    case .provinceOfficer, .districtOfficer, .zoneOfficer: canRead(p, place)
    default: false
    }
  }

  /// Creating, resetting or disabling an account of `role` in `province`: the ministry every
  /// account; a province officer the district, zone, inspector and facility accounts of its
  /// own province; nobody else.
  public static func mayManageAccount(_ p: Principal, role: Role, province: String) -> Bool {
    switch p.role {
    case .ministryAdmin:
      return true
    case .provinceOfficer:
      return province == p.provinceCode
        && [.districtOfficer, .zoneOfficer, .healthInspector, .facility].contains(role)
    default:
      return false
    }
  }

  /// The district and zone filters a read runs with: a district officer always reads its own
  /// district and a zone officer its own zone, whatever it asked for (a filter can narrow what
  /// the token allows, never widen it); other officials keep their filters. Zone ids are
  /// compared lower-case.
  public static func narrow(_ p: Principal, district: String, zone: String)
    -> (district: String, zone: String)
  {
    switch readScope(p) {
    case .district(_, let own): return (own, zone.lowercased())
    case .zone(_, let own): return (district, own.lowercased())
    default: return (district, zone.lowercased())
    }
  }

  /// Listing accounts.
  public static func mayListAccounts(_ p: Principal) -> Bool { mayAdministerRegistry(p) }
}

/// What a report covers once the principal's scope and the request's filters meet.
public struct ReportScope: Hashable, Sendable {
  /// `nil`: every province (the ministry's national reports).
  public var province: String?
  /// Empty: every district of the province.
  public var district: String
  /// Empty: every zone (and facilities outside zones).
  public var zone: String

  public init(province: String?, district: String = "", zone: String = "") {
    self.province = province
    self.district = district
    self.zone = zone
  }

  /// Why a report request is refused.
  public enum Refusal: Error, Hashable, Sendable {
    /// The principal may not read reports at all.
    case notAnOfficial
    /// The request names a province outside the principal's scope; the associated value is
    /// the field.
    case outsideScope(field: String)
    /// The ministry must name a province for this report.
    case provinceRequired
    case malformed(field: String)
  }

  /// The scope of a report: the principal's own province (the ministry names one, or none for
  /// a national report when `allowNational`), narrowed to the principal's district or zone by
  /// ``AccessPolicy/narrow(_:district:zone:)``. Naming another province is refused.
  public static func resolve(
    _ p: Principal,
    province requestedProvince: String,
    district requestedDistrict: String = "",
    zone requestedZone: String = "",
    allowNational: Bool = false
  ) -> Result<ReportScope, Refusal> {
    guard AccessPolicy.mayReadReports(p) else { return .failure(.notAnOfficial) }
    if !requestedDistrict.isEmpty && !DistrictCode.isWellFormed(requestedDistrict) {
      return .failure(.malformed(field: "district_code"))
    }
    if !requestedZone.isEmpty && !Principal.isIdentifier(requestedZone) {
      return .failure(.malformed(field: "zone_id"))
    }
    let province: String?
    switch AccessPolicy.readScope(p) {
    case .national:
      if requestedProvince.isEmpty {
        guard allowNational else { return .failure(.provinceRequired) }
        guard requestedDistrict.isEmpty, requestedZone.isEmpty else {
          return .failure(.provinceRequired)
        }
        province = nil
      } else {
        guard ProvinceCode.isWellFormed(requestedProvince) else {
          return .failure(.malformed(field: "province_code"))
        }
        province = requestedProvince
      }
    case .province(let own), .district(let own, _), .zone(let own, _), .facility(let own, _):
      guard requestedProvince.isEmpty || requestedProvince == own else {
        return .failure(.outsideScope(field: "province_code"))
      }
      province = own
    }
    let narrowed = AccessPolicy.narrow(p, district: requestedDistrict, zone: requestedZone)
    let scope = ReportScope(province: province, district: narrowed.district, zone: narrowed.zone)
    return .success(scope)
  }
}
