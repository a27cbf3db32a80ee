import Foundation
import SafeMapCore

/// What the national demo creates, decided before anything is sent: per province its zones and
/// facilities, and per facility its assessments (when, which kind, which level), suspension and
/// inspection. Deterministic for a seed, so two runs plan the same country.
struct DemoPlan: Sendable {
  struct Facility: Sendable {
    var name: String
    var taxCode: String
    var districtCode: String
    /// Index into the province's zones, or nil outside any.
    var zone: Int?
    var sector: String
    var workers: Int32
    var dormitoryResidents: Int32
    var latitude: Double
    var longitude: Double
    /// Oldest first; empty for a facility that never assessed itself.
    var assessments: [Assessment]
    /// Days ago a suspension (or closure) took effect, if any.
    var stoppedDaysAgo: Int?
    var closed: Bool
    /// Days ago an inspection found this level, if any.
    var inspection: (daysAgo: Int, level: Level)?
  }

  struct Assessment: Sendable {
    /// How long before now it is dated.
    var age: TimeInterval
    var dormitory: Bool
    var level: Level
  }

  enum Level: String, Sendable, CaseIterable {
    case safe, atRisk, unsafe
  }

  struct Zone: Sendable {
    var name: String
    var kind: String
    var districtCode: String
  }

  struct Province: Sendable {
    var code: String
    var zones: [Zone]
    var facilities: [Facility]
  }

  var provinces: [Province]

  static let sectors = [
    "Dệt may", "Da giày", "Điện tử", "Chế biến gỗ", "Thực phẩm", "Cơ khí", "Bao bì", "Nhựa",
  ]
  static let nameWords = [
    "An Phú", "Minh Phát", "Thành Công", "Hòa Bình", "Tân Tiến", "Phú Cường", "Đại Việt",
    "Hưng Thịnh", "Sao Mai", "Trường Sơn", "Bình Minh", "Việt Hàn", "Quang Trung", "Phước Lộc",
  ]

  /// `facilities` over the 63 provinces in the reporting benchmark's proportions, `weeks` of
  /// history: most facilities assess their workplace about weekly from a random first week
  /// (a fifth also a dormitory); 8 % never; 6 % stopped after their first weeks (overdue now);
  /// levels mostly safe, some at risk, a few unsafe; 4 % suspended or closed, 3 % inspected.
  static func make(
    facilities: Int,
    weeks: Int,
    districts: [String: [String]],
    seed: UInt64
  ) -> DemoPlan {
    var random = SplitMix64(seed: seed)
    var provinces: [Province] = []
    for (code, count) in ProvinceGeography.sizes(facilities: facilities) {
      guard let codes = districts[code], !codes.isEmpty, count > 0 else { continue }
      let zoneCount = max(2, min(8, count / 400))
      let zones = (0..<zoneCount).map { k in
        let kind = k % 3 == 2 ? "CCN" : (k % 5 == 4 ? "KKT" : "KCN")
        return Zone(
          name: "\(kind) \(nameWords[(k + Int(code)!) % nameWords.count]) \(k + 1)",
          kind: kind,
          districtCode: codes[(k * 7) % codes.count]
        )
      }
      var planned: [Facility] = []
      for i in 0..<count {
        let zone = random.unit() < 0.35 ? Int(random.next() % UInt64(zoneCount)) : nil
        let districtIndex =
          zone.map { codes.firstIndex(of: zones[$0].districtCode) ?? 0 }
          ?? Int(random.next() % UInt64(codes.count))
        let (lat, lon) = ProvinceGeography.districtCentre(province: code, index: districtIndex)
        let sector = sectors[i % sectors.count]
        let hasDormitory = random.unit() < 0.2
        planned.append(
          Facility(
            name: "Công ty TNHH \(sector) \(nameWords[i % nameWords.count]) \(code)-\(i + 1)",
            taxCode: code + String(format: "%08d", i + 1),
            districtCode: codes[districtIndex],
            zone: zone,
            sector: sector,
            workers: [45, 120, 260, 640, 1500][i % 5],
            dormitoryResidents: hasDormitory ? Int32(40 + i % 300) : 0,
            latitude: lat + 0.08 * random.unit(),
            longitude: lon + 0.08 * random.unit(),
            assessments: schedule(&random, weeks: weeks, dormitory: hasDormitory),
            stoppedDaysAgo: nil,
            closed: false,
            inspection: nil
          )
        )
        let roll = random.unit()
        if roll < 0.04 {
          planned[i].stoppedDaysAgo = 1 + Int(random.next() % UInt64(max(1, weeks * 7 - 1)))
          planned[i].closed = roll < 0.01
        } else if roll < 0.07, !planned[i].assessments.isEmpty {
          let levels: [Level] = [.safe, .atRisk, .unsafe, .unsafe]
          planned[i].inspection = (
            daysAgo: Int(random.next() % 5), level: levels[Int(random.next() % 4)]
          )
        }
      }
      provinces.append(Province(code: code, zones: zones, facilities: planned))
    }
    return DemoPlan(provinces: provinces)
  }

  /// A facility's assessments, oldest first.
  static func schedule(_ random: inout SplitMix64, weeks: Int, dormitory: Bool) -> [Assessment] {
    let roll = random.unit()
    if roll < 0.08 { return [] }
    let lapsing = roll < 0.14
    let day: TimeInterval = 86_400
    let first = Int(random.next() % UInt64(max(1, weeks)))
    // Weeks ago of each submission: from the first week to this one, or only the first
    // two for a facility that lapsed (its last is then more than a week old: overdue).
    var weeksAgo = Array((0...(weeks - 1 - first)).reversed())
    if lapsing { weeksAgo = weeksAgo.filter { $0 >= 2 }.prefix(2).map { $0 } }
    if lapsing && weeksAgo.isEmpty { weeksAgo = [max(2, weeks - 1)] }
    var assessments: [Assessment] = []
    for ago in weeksAgo {
      let age = TimeInterval(ago) * 7 * day + random.unit() * 2 * day + 3_600
      let level = pickLevel(&random)
      assessments.append(Assessment(age: age, dormitory: false, level: level))
      if dormitory {
        assessments.append(Assessment(age: age - 600, dormitory: true, level: pickLevel(&random)))
      }
    }
    return assessments
  }

  static func pickLevel(_ random: inout SplitMix64) -> Level {
    let roll = random.unit()
    return roll < 0.72 ? .safe : roll < 0.92 ? .atRisk : .unsafe
  }
}

/// A small seedable generator (SplitMix64), so the demo plans the same country every time.
struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  init(seed: UInt64) {
    state = seed
  }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A number in [0, 1).
  mutating func unit() -> Double {
    Double(next() >> 11) / Double(1 << 53)
  }
}
