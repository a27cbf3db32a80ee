import Foundation
import PostgresNIO
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SafeMapRuntime

/// The registry checks of nominated facilities, set-based for a whole sheet: a tax code
/// already registered is refused with the facility named, one already nominated by another
/// unit is refused with that unit named, and a similar name in the same district (registered
/// or nominated) is a warning.
struct NominationCheck {
  /// A registered facility holding a tax code.
  var registered: [String: (id: UUID, name: String)] = [:]
  /// An open nomination of a tax code.
  var nominated: [String: (id: UUID, unit: ReportingUnit)] = [:]
  /// Names in each district, by distinctive word, for the similarity warnings.
  var names: [String: [String: Set<String>]] = [:]
  /// How many distinctive words each of those names has (folded once, when loaded).
  var wordCounts: [String: Int] = [:]

  static func load(
    _ facilities: [Safemap_Account_V1_Facility],
    province: String,
    on connection: PostgresConnection
  ) async throws -> NominationCheck {
    var check = NominationCheck()
    let taxCodes = facilities.map(\.taxCode)
    for try await (tax, id, name) in try await connection.query(
      """
      SELECT tax_code, facility_id, name FROM facilities
      WHERE province_code = \(province) AND tax_code = ANY(\(taxCodes))
      """,
      logger: connection.logger
    ).decode((String, UUID, String).self) {
      check.registered[tax] = (id, name)
    }
    for try await (tax, id, kind, code) in try await connection.query(
      """
      SELECT tax_code, nomination_id, unit_kind, unit_code FROM nominations
      WHERE province_code = \(province) AND tax_code = ANY(\(taxCodes)) AND state <> 'REJECTED'
      """,
      logger: connection.logger
    ).decode((String, UUID, String, String).self) {
      guard let kind = UnitReport.UnitKind(sql: kind) else { continue }
      check.nominated[tax] = (id, ReportingUnit(kind: kind, code: code))
    }
    let districts = Array(Set(facilities.map(\.districtCode)))
    // Only names sharing a word with a nominated one can be similar: the registry's folded
    // search text narrows a district of thousands to those before any is compared.
    // Words of digits alone would match every tax code in the search text: letters narrow.
    let all = Set(facilities.flatMap { NameSimilarity.words($0.name) })
    let lettered = all.filter { $0.contains(where: \.isLetter) }
    let words = Array(lettered.isEmpty ? all : lettered)
    for try await (district, name) in try await connection.query(
      """
      SELECT district_code, name FROM facilities
      WHERE province_code = \(province) AND district_code = ANY(\(districts))
        AND EXISTS (SELECT 1 FROM unnest(\(words)::text[]) w
          WHERE search_text LIKE '%' || w || '%')
      UNION
      SELECT district_code, name FROM nominations
      WHERE province_code = \(province) AND district_code = ANY(\(districts))
        AND state IN ('SUBMITTED', 'NEEDS_INFORMATION', 'APPROVED')
        AND NOT tax_code = ANY(\(taxCodes))
      """,
      logger: connection.logger
    ).decode((String, String).self) {
      let words = NameSimilarity.words(name)
      check.wordCounts[name] = words.count
      for word in words { check.names[district, default: [:]][word, default: []].insert(name) }
    }
    return check
  }

  /// Why `facility` cannot be nominated by `unit`, under `prefix`; empty when it can. An open
  /// nomination by the same unit is not a violation: `alreadyNominated` says so.
  func violations(
    _ facility: Safemap_Account_V1_Facility,
    by unit: ReportingUnit,
    prefix: String
  ) -> FieldViolations {
    var v = FieldViolations()
    if let found = registered[facility.taxCode] {
      v.add(
        prefix + "tax_code",
        "already registered as \"\(found.name)\" (facility \(found.id.uuidString.lowercased()))"
      )
    } else if let open = nominated[facility.taxCode], open.unit != unit {
      v.add(
        prefix + "tax_code",
        "already nominated by \(open.unit.label) (nomination \(open.id.uuidString.lowercased()))"
      )
    }
    return v
  }

  /// The open nomination of the same tax code by the same unit, if any.
  func alreadyNominated(_ facility: Safemap_Account_V1_Facility, by unit: ReportingUnit) -> UUID? {
    guard registered[facility.taxCode] == nil, let open = nominated[facility.taxCode],
      open.unit == unit
    else { return nil }
    return open.id
  }

  /// Names in the facility's district similar to its own, at most
  /// ``Nomination/maximumWarnings``: "similar name already in the district: …".
  func warnings(_ facility: Safemap_Account_V1_Facility) -> [String] {
    guard let byWord = names[facility.districtCode] else { return [] }
    let own = NameSimilarity.words(facility.name)
    // The index counts the words each name shares with this one; no set is compared.
    var shared: [String: Int] = [:]
    for word in own {
      for name in byWord[word] ?? [] { shared[name, default: 0] += 1 }
    }
    return shared.filter { name, count in
      NameSimilarity.isSimilar(shared: count, own.count, wordCounts[name] ?? 0)
    }.keys.sorted().prefix(Nomination.maximumWarnings)
      .map { "similar name already in the district: \($0)" }
  }
}
