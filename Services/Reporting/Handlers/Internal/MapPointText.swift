import NIOCore
import SafeMapAPI
import SwiftProtobuf

/// A map layer's points as PostgreSQL hands them over: one text value for the whole layer
/// (`string_agg` of ``record``) instead of one row per point.
///
/// A district is thousands of points, and a row costs more to pass through the database driver
/// than its five values cost to read: per-row decoding was most of the map's CPU in this
/// service (perf, 6,500 points). Each point is written as
/// `<facility id, 36 characters><level>,<latitude>,<longitude>,<name length in bytes>:<name>`,
/// the points one after the other; floats in PostgreSQL's shortest exact form, so they read
/// back to the same `Double`.
enum MapPointText {
  /// One point of the subquery `p` (columns `facility_id`, `level`, `latitude`, `longitude`,
  /// `name`, none NULL), as SQL.
  static let record = """
    concat(p.facility_id, p.level, ',', p.latitude, ',', p.longitude, ',',
      octet_length(p.name), ':', p.name)
    """

  /// The first `limit` points of `text`, which holds `count` of them.
  static func points(_ text: ByteBuffer, count: Int, limit: Int) throws(Malformed)
    -> [Safemap_Reporting_V1_MapPoint]
  {
    var buffer = text
    var points: [Safemap_Reporting_V1_MapPoint] = []
    points.reserveCapacity(min(count, limit))
    while buffer.readableBytes > 0, points.count < limit {
      guard let id = buffer.readString(length: 36) else { throw Malformed(offset: buffer) }
      let level = try field(&buffer, endingAt: UInt8(ascii: ","))
      guard let latitude = Double(try field(&buffer, endingAt: UInt8(ascii: ","))),
        let longitude = Double(try field(&buffer, endingAt: UInt8(ascii: ","))),
        let length = Int(try field(&buffer, endingAt: UInt8(ascii: ":"))),
        let name = buffer.readString(length: length)
      else { throw Malformed(offset: buffer) }
      points.append(
        .with {
          $0.facilityID = id
          $0.name = name
          $0.location.latitude = latitude
          $0.location.longitude = longitude
          $0.mapLevel = MapLevelName.message(level)
          $0.color = MapLevelName.color(level)
        }
      )
    }
    // Every point read (a NULL would have dropped one from the aggregate silently).
    guard points.count == min(count, limit) else { throw Malformed(offset: buffer) }
    return points
  }

  /// The text up to `separator`, which is consumed too.
  private static func field(_ buffer: inout ByteBuffer, endingAt separator: UInt8)
    throws(Malformed) -> String
  {
    guard let end = buffer.readableBytesView.firstIndex(of: separator),
      let text = buffer.readString(length: end - buffer.readerIndex)
    else { throw Malformed(offset: buffer) }
    buffer.moveReaderIndex(forwardBy: 1)
    return text
  }

  /// The text did not hold the points it was said to hold.
  struct Malformed: Error, CustomStringConvertible {
    var readerIndex: Int

    init(offset buffer: ByteBuffer) { readerIndex = buffer.readerIndex }

    var description: String { "map points: malformed text at byte \(readerIndex)" }
  }
}
