import CSV
public import Foundation

/// CSV records through CSV.swift (quoting, embedded commas and newlines), one record at a
/// time: its writer sends a byte per stream write, so each record is encoded in memory and
/// files and downloads are written in large blocks.
///
/// Every cell is made safe for spreadsheets first (``neutralised(_:)``): text that a
/// facility or an uploaded list chose (a name such as `=HYPERLINK(…)`) must reach an
/// official's Excel as text, never as a formula beside the one-time passwords.
public enum CSVRecord {
  /// `fields` as one record ending in `newline` (`"\r\n"` for spreadsheets on the web).
  public static func encode(_ fields: [String], newline: String = "\n") throws -> Data {
    let writer = try CSVWriter(stream: .toMemory())
    try writer.write(row: fields.map(neutralised))
    writer.stream.close()
    guard let data = writer.stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data else {
      throw FacilityCSV.Problem("cannot encode a CSV record")
    }
    return data + Data(newline.utf8)
  }

  /// A cell that a spreadsheet would read as a formula (it begins with `=`, `+`, `-`, `@`,
  /// a tab or a carriage return; OWASP's CSV injection list) with an apostrophe in front, so
  /// it shows as the text it is. Numbers (`-12`, `+84912345678`, `3,5`) stay numbers.
  public static func neutralised(_ cell: String) -> String {
    guard let first = cell.unicodeScalars.first,
      ["=", "+", "-", "@", "\t", "\r"].contains(first)
    else { return cell }
    return isNumber(cell) ? cell : "'" + cell
  }

  /// An optional sign, digits, and at most one decimal point or comma followed by digits.
  static func isNumber(_ cell: String) -> Bool {
    var scalars = ArraySlice(cell.unicodeScalars)
    if let sign = scalars.first, sign == "+" || sign == "-" { scalars = scalars.dropFirst() }
    let parts = scalars.split(
      omittingEmptySubsequences: false,
      whereSeparator: { $0 == "." || $0 == "," }
    )
    guard (1...2).contains(parts.count) else { return false }
    return parts.allSatisfy { part in
      !part.isEmpty && part.allSatisfy { ("0"..."9").contains($0) }
    }
  }
}
