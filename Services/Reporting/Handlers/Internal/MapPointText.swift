import NIOCore
import SafeMapAPI
import SwiftProtobuf

/// A map layer's points as PostgreSQL hands them over: one text value for the whole layer
/// (`string_agg` of ``record``) instead of one row per point.
///
/// A district is thousands of points, and a row costs more to pass through the database driver
/// than its five values cost to read: per-row decoding was most of the map's CPU in this
/// service (perf, 6,500 points). Each point is written as
/// `<facility id: 36><latitude: 16><longitude: 16><level>,<name length in bytes>:<name>`, the
/// points one after the other. A coordinate is the hexadecimal of its IEEE 754 bits
/// (`float8send`), exact and cheap both ways: parsing 17 decimal digits back into a `Double`
/// took a quarter of this decoding.
enum MapPointText {
  /// One point of the subquery `p` (columns `facility_id`, `level`, `latitude`, `longitude`,
  /// `name`, none NULL), as SQL.
  static let record = """
    concat(p.facility_id, encode(float8send(p.latitude), 'hex'),
      encode(float8send(p.longitude), 'hex'), p.level, ',', octet_length(p.name), ':', p.name)
    """

  /// The first `limit` points of `text`, which holds `count` of them.
  static func points(_ text: ByteBuffer, count: Int, limit: Int) throws
    -> [Safemap_Reporting_V1_MapPoint]
  {
    try text.withUnsafeReadableBytes { bytes in
      var reader = Reader(bytes: bytes)
      var points: [Safemap_Reporting_V1_MapPoint] = []
      points.reserveCapacity(min(count, limit))
      while !reader.isAtEnd, points.count < limit {
        var point = Safemap_Reporting_V1_MapPoint()
        point.facilityID = String(decoding: try reader.bytes(36), as: UTF8.self)
        let latitude = try reader.coordinate()
        let longitude = try reader.coordinate()
        let level = try reader.field(endingAt: comma)
        guard let name = levelNames.first(where: { $0.utf8.elementsEqual(level) }),
          let length = Int(String(decoding: try reader.field(endingAt: colon), as: UTF8.self)),
          length >= 0
        else { throw Malformed(readerIndex: reader.offset) }
        point.name = String(decoding: try reader.bytes(length), as: UTF8.self)
        point.location.latitude = latitude
        point.location.longitude = longitude
        point.mapLevel = MapLevelName.message(name)
        point.color = MapLevelName.color(name)
        points.append(point)
      }
      // Every point read (a NULL would have dropped one from the aggregate silently).
      guard points.count == min(count, limit) else { throw Malformed(readerIndex: reader.offset) }
      return points
    }
  }

  private static let comma = UInt8(ascii: ",")
  private static let colon = UInt8(ascii: ":")
  private static let levelNames = ["SAFE", "AT_RISK", "UNSAFE", "OVERDUE", "NOT_ASSESSED"]

  /// Reads the text in place: no string is made for a separator search or a level.
  private struct Reader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    var isAtEnd: Bool { offset >= bytes.count }

    /// The next `length` bytes.
    mutating func bytes(_ length: Int) throws(Malformed) -> UnsafeRawBufferPointer {
      guard length <= bytes.count - offset else { throw Malformed(readerIndex: offset) }
      defer { offset += length }
      return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
    }

    /// A coordinate: the 16 hexadecimal digits of its bits.
    mutating func coordinate() throws(Malformed) -> Double {
      let start = offset
      guard let bits = UInt64(String(decoding: try bytes(16), as: UTF8.self), radix: 16) else {
        throw Malformed(readerIndex: start)
      }
      return Double(bitPattern: bits)
    }

    /// The bytes up to `separator`, which is consumed too.
    mutating func field(endingAt separator: UInt8) throws(Malformed) -> UnsafeRawBufferPointer {
      guard let end = bytes[offset...].firstIndex(of: separator) else {
        throw Malformed(readerIndex: offset)
      }
      defer { offset = end + 1 }
      return UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
    }
  }

  /// The text did not hold the points it was said to hold.
  struct Malformed: Error, CustomStringConvertible {
    var readerIndex: Int

    var description: String { "map points: malformed text at byte \(readerIndex)" }
  }
}
