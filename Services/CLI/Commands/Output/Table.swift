import ArgumentParser
import Foundation
import SafeMapSheets
import SwiftProtobuf
import TextTable

/// The table library's column (the name is taken by ``Table/Column`` inside ``Table``).
private typealias LibraryColumn = Column

/// How a command prints what it read.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
  /// Aligned columns for a person.
  case table
  /// RFC 4180 with a header row, for a spreadsheet.
  case csv
  /// The service's answer in protobuf's JSON mapping, every field, for a script.
  case json
}

extension OutputFormat {
  /// Prints `table` as asked, or `message` (the answer it was made from) as JSON.
  func print(_ table: Table, message: some SwiftProtobuf.Message) throws {
    switch self {
    case .table: Swift.print(table.aligned())
    case .csv: Swift.print(try table.csv(), terminator: "")
    case .json: Swift.print(try message.jsonString())
    }
  }
}

/// Rows of text cells under a header, printed aligned or as CSV.
struct Table: Sendable {
  struct Column: Sendable {
    let title: String
    let numeric: Bool

    static func text(_ title: String) -> Column { Column(title: title, numeric: false) }
    static func number(_ title: String) -> Column { Column(title: title, numeric: true) }
  }

  let columns: [Column]
  private(set) var rows: [[String]] = []

  init(_ columns: [Column]) {
    self.columns = columns
  }

  mutating func append(_ row: [String]) {
    precondition(row.count == columns.count, "a row has one cell per column")
    rows.append(row)
  }

  /// Aligned columns, numbers to the right. Cells are put in Unicode's composed form (NFC)
  /// first: the table library measures characters but pads by UTF-16 units, which agree for
  /// every Vietnamese letter only once its diacritics are composed (a name typed on a Mac
  /// arrives decomposed, "ệ" as three units).
  func aligned() -> String {
    let composed = rows.map { $0.map(\.precomposedStringWithCanonicalMapping) }
    let titles = columns.map(\.title.precomposedStringWithCanonicalMapping)
    let table = TextTable<[String]> { row in
      zip(self.columns.indices, row).map { index, cell in
        LibraryColumn(
          title: titles[index],
          value: cell,
          align: self.columns[index].numeric ? .right : .left
        )
      }
    }
    guard !composed.isEmpty else { return "(none)" }
    return table.string(for: composed, style: Style.psql) ?? ""
  }

  /// The header row and the rows as CSV.
  func csv() throws -> String {
    var data = try CSVRecord.encode(columns.map(\.title))
    for row in rows { data += try CSVRecord.encode(row) }
    return String(decoding: data, as: UTF8.self)
  }
}
