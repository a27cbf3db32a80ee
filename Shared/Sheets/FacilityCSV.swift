import CSV
import Foundation
public import SafeMapAPI
import SwiftProtobuf

/// The facilities of a bulk issuance, read from a CSV file with a header row: the sheet a
/// province officer gives `safemap facilities issue` or uploads on the web.
///
/// Columns are named as in the API (`name`, `tax_code`, …; README "The safemap command"), in
/// any order; `name`, `tax_code` and `district_code` are required, the others optional. A row
/// whose cells cannot be read (a worker count that is not a number) is rejected here with its
/// line number; everything else is the service's to judge.
public struct FacilityCSV: Sendable {
  /// A row to send, with the line it starts on.
  public struct Row: Sendable {
    public let line: Int
    public let facility: Safemap_Account_V1_Facility
  }

  public struct Rejected: Equatable, Sendable {
    public let line: Int
    public let reason: String

    public init(line: Int, reason: String) {
      self.line = line
      self.reason = reason
    }
  }

  /// Why the file as a whole cannot be read (no header, an unknown column, too many rows).
  public struct Problem: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
  }

  public var rows: [Row] = []
  public var rejected: [Rejected] = []

  /// No rows: what a batch sends when its rows come from elsewhere (approved nominations).
  public init() {}

  public static let required = ["name", "tax_code", "district_code"]
  public static let optional = [
    "address", "zone_id", "sector", "worker_count", "workshop_area_m2", "has_dormitory",
    "dormitory_residents", "contact_phone", "contact_email", "latitude", "longitude",
  ]

  /// Reads `text`; at most `limit` rows (the service's batch limit), so a file too large is
  /// refused before anything is sent.
  public static func parse(_ text: String, limit: Int) throws(Problem) -> FacilityCSV {
    let reader: CSVReader
    do {
      reader = try CSVReader(string: text, hasHeaderRow: true)
    } catch {
      throw Problem("line 1: the file is not valid CSV (\(error))")
    }
    guard var header = reader.headerRow, !header.isEmpty else {
      throw Problem("the file is empty: the first line must name the columns")
    }
    // A byte-order mark (Excel's "CSV UTF-8") is not part of the first column's name.
    if header[0].hasPrefix("\u{FEFF}") { header[0].removeFirst() }
    header = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    let known = Set(required + optional)
    if let unknown = header.first(where: { !known.contains($0) }) {
      throw Problem(
        "line 1: unknown column \"\(unknown)\"; the columns are \((required + optional).joined(separator: ", "))"
      )
    }
    if let missing = required.first(where: { !header.contains($0) }) {
      throw Problem("line 1: the column \(missing) is required")
    }
    var result = FacilityCSV()
    var line = 2
    while let cells = reader.next() {
      defer { line += 1 + cells.reduce(0) { $0 + $1.filter { $0 == "\n" }.count } }
      if cells.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
      guard result.rows.count + result.rejected.count < limit else {
        throw Problem(
          "more than \(limit) facilities: one batch takes at most \(limit); split the file"
        )
      }
      var values: [String: String] = [:]
      for (index, name) in header.enumerated() where index < cells.count {
        values[name] = cells[index].trimmingCharacters(in: .whitespaces)
      }
      do {
        result.rows.append(Row(line: line, facility: try facility(values)))
      } catch let failure as Problem {
        result.rejected.append(Rejected(line: line, reason: failure.description))
      }
    }
    if let error = reader.error {
      throw Problem("line \(line): the file is not valid CSV (\(error))")
    }
    return result
  }

  private static func facility(_ values: [String: String]) throws(Problem)
    -> Safemap_Account_V1_Facility
  {
    func text(_ name: String) -> String { values[name] ?? "" }
    func integer(_ name: String) throws(Problem) -> Int32 {
      guard let value = values[name], !value.isEmpty else { return 0 }
      guard let number = Int32(value), number >= 0 else {
        throw Problem("\(name): \"\(value)\" is not a whole number")
      }
      return number
    }
    func decimal(_ name: String) throws(Problem) -> Double? {
      guard let value = values[name], !value.isEmpty else { return nil }
      guard let number = Double(value.replacingOccurrences(of: ",", with: ".")),
        number.isFinite
      else { throw Problem("\(name): \"\(value)\" is not a number") }
      return number
    }
    var facility = Safemap_Account_V1_Facility()
    facility.name = text("name")
    facility.taxCode = text("tax_code")
    facility.address = text("address")
    facility.districtCode = text("district_code")
    facility.zoneID = text("zone_id")
    facility.sector = text("sector")
    facility.workerCount = try integer("worker_count")
    facility.workshopAreaM2 = try decimal("workshop_area_m2") ?? 0
    switch text("has_dormitory").lowercased() {
    case "", "0", "no", "false", "không": facility.hasDormitory_p = false
    case "1", "yes", "true", "có": facility.hasDormitory_p = true
    case let other:
      throw Problem("has_dormitory: \"\(other)\" is not yes or no")
    }
    facility.dormitoryResidents = try integer("dormitory_residents")
    facility.contactPhone = text("contact_phone")
    facility.contactEmail = text("contact_email")
    switch (try decimal("latitude"), try decimal("longitude")) {
    case (nil, nil): break
    case (let latitude?, let longitude?):
      facility.location = .with {
        $0.latitude = latitude
        $0.longitude = longitude
      }
    default: throw Problem("latitude and longitude go together")
    }
    return facility
  }
}
