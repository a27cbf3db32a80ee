public import Logging
public import PostgresNIO
import SafeMapCore

/// Loads the official district list (CSV: code, province code, name, full name; a header line
/// is skipped) so a deployment can carry all 705 districts while the project ships only two
/// provinces' worth. Runs as the schema owner; existing codes are updated in place.
public enum ReferenceData {
  public struct Report: Sendable, Equatable {
    public var imported: Int
    public var rejected: [String]
  }

  public static func importDistricts(
    csv: String,
    on connection: PostgresConnection,
    logger: Logger
  ) async throws -> Report {
    var report = Report(imported: 0, rejected: [])
    var rows: [[String]] = []
    for (number, line) in csv.split(whereSeparator: \.isNewline).enumerated() {
      let fields = CSV.fields(String(line))
      if number == 0 && fields.first?.lowercased() == "code" { continue }
      guard fields.count >= 4, DistrictCode.isWellFormed(fields[0]),
        ProvinceCode.isWellFormed(fields[1]), !fields[2].isEmpty
      else {
        report.rejected.append("line \(number + 1): expected code,province_code,name,full_name")
        continue
      }
      rows.append(Array(fields.prefix(4)))
    }
    try await connection.withTransaction(logger: logger) { tx in
      for row in rows {
        try await tx.query(
          """
          INSERT INTO districts (code, province_code, name, full_name)
          VALUES (\(row[0]), \(row[1]), \(row[2]), \(row[3]))
          ON CONFLICT (code) DO UPDATE
            SET province_code = excluded.province_code, name = excluded.name,
                full_name = excluded.full_name
          """,
          logger: logger
        )
      }
    }
    report.imported = rows.count
    return report
  }
}

/// RFC 4180 fields of one line: commas separate, double quotes enclose, `""` escapes a quote.
public enum CSV {
  public static func fields(_ line: String) -> [String] {
    var fields: [String] = []
    var field = ""
    var quoted = false
    var iterator = line.makeIterator()
    var pending: Character? = nil
    while let c = pending ?? iterator.next() {
      pending = nil
      if quoted {
        if c == "\"" {
          if let n = iterator.next() {
            if n == "\"" { field.append("\"") } else { quoted = false; pending = n }
          } else {
            quoted = false
          }
        } else {
          field.append(c)
        }
      } else if c == "\"" {
        quoted = true
      } else if c == "," {
        fields.append(field.trimmingWhitespace())
        field = ""
      } else if c != "\r" {
        field.append(c)
      }
    }
    fields.append(field.trimmingWhitespace())
    return fields
  }
}
