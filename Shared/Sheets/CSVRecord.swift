import CSV
public import Foundation

/// CSV records through CSV.swift (quoting, embedded commas and newlines), one record at a
/// time: its writer sends a byte per stream write, so each record is encoded in memory and
/// files and downloads are written in large blocks.
public enum CSVRecord {
  /// `fields` as one record ending in `newline` (`"\r\n"` for spreadsheets on the web).
  public static func encode(_ fields: [String], newline: String = "\n") throws -> Data {
    let writer = try CSVWriter(stream: .toMemory())
    try writer.write(row: fields)
    writer.stream.close()
    guard let data = writer.stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data else {
      throw FacilityCSV.Problem("cannot encode a CSV record")
    }
    return data + Data(newline.utf8)
  }
}
