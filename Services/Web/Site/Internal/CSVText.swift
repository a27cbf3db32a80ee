import CSV
import Foundation

/// One CSV record (RFC 4180 quoting through CSV.swift) with its CRLF, as Excel expects.
enum CSVText {
  static func record(_ fields: [String]) -> String {
    guard let writer = try? CSVWriter(stream: .toMemory(), newline: .crlf) else { return "" }
    try? writer.write(row: fields)
    writer.stream.close()
    let data = writer.stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()
    return String(decoding: data, as: UTF8.self) + "\r\n"
  }
}
