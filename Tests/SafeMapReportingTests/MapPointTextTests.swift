import Foundation
import NIOCore
import SafeMapAPI
import SwiftProtobuf
import Testing

@testable import SafeMapReporting

@Suite("Reading a map layer: the points' text, latitude bands, halves")
struct MapPointTextTests {
  /// Points as the statement writes them (id and coordinates in hexadecimal).
  func text(_ points: [(id: String, level: String, lat: Double, lon: Double, name: String)])
    -> ByteBuffer
  {
    ByteBuffer(
      string: points.map { p in
        hexID(p.id) + hex(p.lat) + hex(p.lon)
          + "\(p.level),\(p.name.utf8.count):\(p.name)"
      }.joined()
    )
  }

  func hexID(_ id: String) -> String { id.replacingOccurrences(of: "-", with: "") }

  func hex(_ value: Double) -> String {
    let digits = String(value.bitPattern, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }

  let a = "0a7c3f52-1f7e-4c8e-9d0b-6f0f5b7f2a11"
  let b = "f3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"

  @Test("points read back exactly, whatever their names hold")
  func roundTrip() throws {
    let points = try MapPointText.points(
      text([
        (a, "SAFE", 21.300000000000001, 105.4, "Xưởng May 2: Việt Trì, Phú Thọ"),
        (b, "OVERDUE", 10.762622, 106.660172, ""),
      ]),
      count: 2,
      limit: 10
    )
    #expect(points.map(\.facilityID) == [a, b])
    #expect(points.map(\.name) == ["Xưởng May 2: Việt Trì, Phú Thọ", ""])
    #expect(points.map(\.location.latitude) == [21.3, 10.762622])
    #expect(points.map(\.location.longitude) == [105.4, 106.660172])
    #expect(points.map(\.mapLevel) == [.safe, .overdue])
    #expect(points.map(\.color) == ["green", "grey"])
  }

  @Test("public points read back with district and date, and nothing else")
  func publicPoints() throws {
    let text = ByteBuffer(
      string: hex(11.17) + hex(106.65) + "UNSAFE,718,2026-12-01,13:Xưởng A, B"
        + hex(10.5) + hex(106.1) + "NOT_ASSESSED,719,,0:"
    )
    let points = try MapPointText.publicPoints(text, count: 2, limit: 10)
    #expect(points.map(\.name) == ["Xưởng A, B", ""])
    #expect(points.map(\.districtCode) == ["718", "719"])
    #expect(points.map(\.lastAssessmentDate) == ["2026-12-01", ""])
    #expect(points.map(\.mapLevel) == [.unsafe, .notAssessed])
    #expect(points.map(\.location.latitude) == [11.17, 10.5])
    #expect(throws: MapPointText.Malformed.self) {
      try MapPointText.publicPoints(text, count: 3, limit: 10)
    }
  }

  @Test("a layer longer than the limit gives the limit's points")
  func limit() throws {
    let points = try MapPointText.points(
      text([(a, "UNSAFE", 21, 105, "A"), (b, "AT_RISK", 21, 105, "B")]),
      count: 2,
      limit: 1
    )
    #expect(points.map(\.name) == ["A"])
  }

  @Test("a text cut short, holding fewer points than counted, or not hexadecimal is an error")
  func malformed() {
    let whole = text([(a, "SAFE", 21, 105, "Công ty A")])
    var cut = whole
    cut.moveWriterIndex(to: whole.writerIndex - 3)
    #expect(throws: MapPointText.Malformed.self) {
      try MapPointText.points(cut, count: 1, limit: 10)
    }
    #expect(throws: MapPointText.Malformed.self) {
      try MapPointText.points(whole, count: 2, limit: 10)
    }
    #expect(throws: MapPointText.Malformed.self) {
      try MapPointText.points(
        ByteBuffer(string: "\(hexID(a))north of 21.3°N\(hex(105))SAFE,1:A"),
        count: 1,
        limit: 10
      )
    }
    #expect(throws: MapPointText.Malformed.self) {
      try MapPointText.points(
        ByteBuffer(string: "\(hexID(a))\(hex(21))\(hex(105))CLOSED,1:A"),
        count: 1,
        limit: 10
      )
    }
    #expect(throws: MapPointText.Malformed.self) {
      try MapPointText.points(
        ByteBuffer(string: "\(hexID(a).uppercased())\(hex(21))\(hex(105))SAFE,1:A"),
        count: 1,
        limit: 10
      )
    }
  }

  @Test("a box's latitude bands are those the database computes; tall boxes have none")
  func bands() {
    #expect(MapArea.bands(11.07, 11.17) == 1107...1117)
    #expect(MapArea.bands(21.3, 21.3) == 2130...2130)
    #expect(MapArea.bands(-0.005, 0.005) == -1...0)
    #expect(MapArea.bands(8, 23.5) == nil)
    #expect(MapArea.bands(11.2, 11.1) == nil)
  }

  @Test("a box splits into two disjoint halves of its bands; one band or no box does not")
  func halves() {
    func box(_ low: Double, _ high: Double) -> MapArea {
      MapArea(
        box: .with {
          $0.low = .with {
            $0.latitude = low; $0.longitude = 105
          }
          $0.high = .with {
            $0.latitude = high; $0.longitude = 106
          }
        }
      )
    }
    #expect(box(11.07, 11.17).halves().map(\.bands) == [1107...1111, 1112...1117])
    #expect(box(11.07, 11.08).halves().map(\.bands) == [1107...1107, 1108...1108])
    #expect(box(11.071, 11.079).halves().map(\.bands) == [1107...1107])
    #expect(MapArea(box: nil).halves().count == 1)
  }
}
