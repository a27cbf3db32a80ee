import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SwiftProtobuf

/// A reporting unit of a campaign as requests name it and SQL stores it: a district (its
/// code) or a zone (its id, lower-case). Two values are the same unit whatever their names.
struct ReportingUnit: Hashable, Sendable {
  var kind: UnitReport.UnitKind
  var code: String
  var name = ""

  static func == (a: ReportingUnit, b: ReportingUnit) -> Bool {
    a.kind == b.kind && a.code == b.code
  }

  func hash(into hasher: inout Hasher) {
    hasher.combine(kind)
    hasher.combine(code)
  }

  init(kind: UnitReport.UnitKind, code: String, name: String = "") {
    self.kind = kind
    self.code = kind == .zone ? code.lowercased() : code
    self.name = name
  }

  /// The unit a request names in `field`; a district or zone officer that names none means
  /// its own.
  init(_ message: Safemap_Reporting_V1_ReportingUnit, field: String, caller: Principal) throws {
    let unset = message.kind == .unspecified && message.code.isEmpty
    if unset, caller.role == .districtOfficer {
      self.init(kind: .district, code: caller.districtCode)
      return
    }
    if unset, caller.role == .zoneOfficer {
      self.init(kind: .zone, code: caller.zoneID)
      return
    }
    guard let kind = UnitReport.UnitKind(message.kind) else {
      throw RPCError(code: .invalidArgument, message: "\(field).kind: DISTRICT or ZONE")
    }
    let wellFormed =
      kind == .district
      ? DistrictCode.isWellFormed(message.code) : UUID(uuidString: message.code) != nil
    guard wellFormed else {
      throw RPCError(
        code: .invalidArgument,
        message: "\(field).code: "
          + (kind == .district ? "a district code of three digits" : "a zone id")
      )
    }
    self.init(kind: kind, code: message.code)
  }

  var message: Safemap_Reporting_V1_ReportingUnit {
    .with {
      $0.kind = kind.message
      $0.code = code
      $0.name = name
    }
  }

  /// The facilities the unit reports for.
  func scope(province: String) -> ReportScope {
    kind == .district
      ? ReportScope(province: province, district: code)
      : ReportScope(province: province, zone: code)
  }

  /// `DISTRICT/123` or `ZONE/<id>`: how the audit log and messages name the unit.
  var label: String { "\(kind.sql)/\(code)" }
}

extension ReportingUnit {
  /// Where a facility of a campaign's area sits, as its units and its letter group it.
  struct Place: Hashable, Sendable {
    var district: String
    /// Empty outside any zone.
    var zone: String
    /// Inside an industrial or economic zone (R1's split).
    var inside: Bool
  }

  /// The area's facilities counted once at `instant`, by place (``FacilityClasses``): what
  /// both the units and the letter read.
  static func placeCounts(
    of campaign: CampaignRecord,
    at instant: ReportInstant,
    on connection: PostgresConnection
  ) async throws -> [Place: SummaryCounts] {
    let area = ReportScope(province: campaign.province, district: campaign.district ?? "")
    let (all, stopped) = try await FacilityClasses.count(
      area,
      at: instant,
      key: "b.district_code || '/' || coalesce(b.zone_id::text, '')"
        + " || CASE WHEN b.inside THEN '/INSIDE' ELSE '/OUTSIDE' END",
      on: connection
    )
    var places: [Place: SummaryCounts] = [:]
    for (key, counts) in FacilityClasses.summaries(all, stopped: stopped) {
      let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
      guard parts.count == 3 else { continue }
      let place = Place(district: parts[0], zone: parts[1], inside: parts[2] == "INSIDE")
      places[place] = (places[place] ?? SummaryCounts()) + counts
    }
    return places
  }

  /// The units of `campaign` at `instant`, with the facilities active in each: every district
  /// of its area (expected when it has an active facility), and every zone with an issued
  /// facility of the area. `counts` are ``placeCounts(of:at:on:)``, read once by the caller.
  static func all(
    of campaign: CampaignRecord,
    at instant: ReportInstant,
    counts: [Place: SummaryCounts]? = nil,
    on connection: PostgresConnection
  ) async throws -> [(unit: ReportingUnit, active: Int)] {
    let area = ReportScope(province: campaign.province, district: campaign.district ?? "")
    var places = counts ?? [:]
    if counts == nil { places = try await placeCounts(of: campaign, at: instant, on: connection) }
    var districtActive: [String: Int] = [:]
    var zoneActive: [String: Int] = [:]
    for (place, counts) in places {
      districtActive[place.district, default: 0] += counts.active
      if !place.zone.isEmpty { zoneActive[place.zone, default: 0] += counts.active }
    }
    let districts = try await ReportingService.groups(
      area,
      at: instant,
      by: .district,
      on: connection
    )
    let zones = try await ReportingService.groups(area, at: instant, by: .zone, on: connection)
    var units = districts.map {
      (ReportingUnit(kind: .district, code: $0.key, name: $0.name), districtActive[$0.key] ?? 0)
    }
    // A zone is a unit once a facility of the area is registered in it.
    for zone in zones where zoneActive[zone.key] != nil {
      units.append(
        (ReportingUnit(kind: .zone, code: zone.key, name: zone.name), zoneActive[zone.key] ?? 0)
      )
    }
    return units
  }
}
