import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SafeMapRuntime
import SwiftProtobuf

extension ReportingUnit {
  /// The facilities the unit reports for.
  func scope(province: String) -> ReportScope {
    kind == .district
      ? ReportScope(province: province, district: code)
      : ReportScope(province: province, zone: code)
  }
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
