import NIOCore
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SwiftProtobuf

/// A map layer's points as PostgreSQL hands them over: one text value for the whole layer
/// (`string_agg` of ``record``) instead of one row per point.
///
/// A district is thousands of points, and a row costs more to pass through the database driver
/// than its five values cost to read: per-row decoding was most of the map's CPU in this
/// service (perf, 6,500 points). Each point is written as
/// `<facility id: 32><latitude: 16><longitude: 16><level>,<name length in bytes>:<name>`, the
/// points one after the other. The first three are the hexadecimal of their binary forms
/// (`uuid_send`, `float8send`), encoded in one call: exact, and cheaper both ways than text
/// (parsing 17 decimal digits back into a `Double` took a quarter of this decoding, and
/// PostgreSQL's `uuid_out` an eighth of the statement).
enum MapPointText {
  /// One point of the subquery `p` (columns `facility_id`, `level`, `latitude`, `longitude`,
  /// `name`, none NULL), as SQL.
  static let record = """
    encode(uuid_send(p.facility_id) || float8send(p.latitude) || float8send(p.longitude), 'hex')
      || p.level || ',' || octet_length(p.name)::text || ':' || p.name
    """

  /// One point of the public map (subquery `p`: `latitude`, `longitude`, `level`,
  /// `district_code`, `last_at`, `name`; only `last_at` may be NULL):
  /// `<latitude: 16><longitude: 16><level>,<district>,<YYYY-MM-DD or nothing>,<length>:<name>`.
  static let publicRecord = """
    encode(float8send(p.latitude) || float8send(p.longitude), 'hex') || p.level || ','
      || p.district_code || ',' || coalesce(to_char(p.last_at AT TIME ZONE 'Asia/Ho_Chi_Minh',
        'YYYY-MM-DD'), '') || ',' || octet_length(p.name)::text || ':' || p.name
    """

  /// The first `limit` public points of `text`, which holds `count` of them.
  static func publicPoints(_ text: ByteBuffer, count: Int, limit: Int) throws
    -> [Safemap_Reporting_V1_PublicMapPoint]
  {
    try text.withUnsafeReadableBytes { bytes in
      var reader = Reader(bytes: bytes)
      var points: [Safemap_Reporting_V1_PublicMapPoint] = []
      points.reserveCapacity(min(count, limit))
      while !reader.isAtEnd, points.count < limit {
        var point = Safemap_Reporting_V1_PublicMapPoint()
        point.location.latitude = try reader.coordinate()
        point.location.longitude = try reader.coordinate()
        point.mapLevel = try reader.level()
        point.districtCode = String(decoding: try reader.field(endingAt: comma), as: UTF8.self)
        point.lastAssessmentDate = String(
          decoding: try reader.field(endingAt: comma),
          as: UTF8.self
        )
        point.name = try reader.name()
        points.append(point)
      }
      guard points.count == min(count, limit) else { throw Malformed(readerIndex: reader.offset) }
      return points
    }
  }

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
        point.facilityID = try reader.facilityID()
        let latitude = try reader.coordinate()
        let longitude = try reader.coordinate()
        let level = try reader.level()
        point.name = try reader.name()
        point.location.latitude = latitude
        point.location.longitude = longitude
        point.mapLevel = level
        point.color = FacilityStanding.Level(level)?.color ?? "grey"
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

    /// A facility id from its 32 hexadecimal digits, written as `uuid::text` writes it.
    mutating func facilityID() throws(Malformed) -> String {
      let start = offset
      let digits = try bytes(32)
      var valid = true
      let id = String(unsafeUninitializedCapacity: 36) { id in
        var written = 0
        for (index, digit) in digits.enumerated() {
          if index == 8 || index == 12 || index == 16 || index == 20 {
            id[written] = UInt8(ascii: "-")
            written += 1
          }
          valid = valid && (digit >= 0x30 && digit <= 0x39 || digit >= 0x61 && digit <= 0x66)
          id[written] = digit
          written += 1
        }
        return written
      }
      guard valid else { throw Malformed(readerIndex: start) }
      return id
    }

    /// A coordinate: the 16 hexadecimal digits of its bits.
    mutating func coordinate() throws(Malformed) -> Double {
      let start = offset
      guard let bits = UInt64(String(decoding: try bytes(16), as: UTF8.self), radix: 16) else {
        throw Malformed(readerIndex: start)
      }
      return Double(bitPattern: bits)
    }

    /// A level's name and its comma.
    mutating func level() throws(Malformed) -> Safemap_Common_V1_MapLevel {
      let start = offset
      let level = try field(endingAt: comma)
      guard let name = levelNames.first(where: { $0.utf8.elementsEqual(level) }) else {
        throw Malformed(readerIndex: start)
      }
      return FacilityStanding.Level.message(sql: name)
    }

    /// `<length in bytes>:<name>`.
    mutating func name() throws(Malformed) -> String {
      let start = offset
      guard let length = Int(String(decoding: try field(endingAt: colon), as: UTF8.self)),
        length >= 0
      else { throw Malformed(readerIndex: start) }
      return String(decoding: try bytes(length), as: UTF8.self)
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
