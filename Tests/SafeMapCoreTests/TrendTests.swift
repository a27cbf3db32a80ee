import Foundation
import SafeMapCore
import Testing

@Suite("Trend periods and replay")
struct TrendTests {
  /// 2021-09-06 00:00 in Vietnam (a Monday), as seconds since 1970.
  static let monday: TimeInterval = 1_630_861_200

  @Test("days and weeks start at midnight in Vietnam; weeks on Monday")
  func alignment() throws {
    let wednesdayNoon = Date(timeIntervalSince1970: Self.monday + 2 * 86_400 + 5 * 3_600)
    let end = wednesdayNoon.addingTimeInterval(10 * 86_400)
    let now = end.addingTimeInterval(86_400)
    let days = try #require(TrendPeriods(start: wednesdayNoon, end: end, interval: .day, now: now))
    #expect(days.first == Date(timeIntervalSince1970: Self.monday + 2 * 86_400))
    #expect(days.count == 11)
    let weeks = try #require(
      TrendPeriods(start: wednesdayNoon, end: end, interval: .week, now: now)
    )
    #expect(weeks.first == Date(timeIntervalSince1970: Self.monday))
    #expect(weeks.count == 2)
    #expect(
      weeks.countingInstant(0, now: now)
        == Date(timeIntervalSince1970: Self.monday + 7 * 86_400 - 0.000_001)
    )
    // Periods after now are left out; the running one is counted at now.
    let early = Date(timeIntervalSince1970: Self.monday + 3 * 86_400 + 60)
    let cut = try #require(TrendPeriods(start: wednesdayNoon, end: end, interval: .day, now: early))
    #expect(cut.count == 2)
    #expect(cut.countingInstant(1, now: early) == early)
    #expect(TrendPeriods(start: end, end: wednesdayNoon, interval: .day) == nil)
  }

  static func micros(_ days: Double) -> Int64 { Int64((monday + days * 86_400) * 1_000_000) }

  @Test("a facility replayed: issued, safe, overdue, suspended, and its submissions")
  func replay() {
    let instants = (0..<12).map { Self.micros(Double($0) + 1) - 1 }
    let starts = (0..<12).map { Self.micros(Double($0)) }
    var counts = TrendCounts(instants: instants, periodStarts: starts)
    counts.add(
      FacilityTimeline(
        issued: Self.micros(1.5),
        hasDormitory: true,
        graceDays: 1,
        assessments: [
          .init(
            submitted: Self.micros(2.5),
            isDormitory: false,
            level: .safe,
            validUntil: Self.micros(4.5)
          ),
          .init(
            submitted: Self.micros(3.5),
            isDormitory: true,
            level: .atRisk,
            validUntil: Self.micros(9.5)
          ),
        ],
        statusChanges: [
          // Recorded on day 7 for day 8 onwards, then reopened on day 10.
          .init(recorded: Self.micros(7.2), effective: Self.micros(8), active: false),
          .init(recorded: Self.micros(10.1), effective: Self.micros(10), active: true),
        ]
      )
    )
    let p = counts.points
    #expect(p[0] == .init())
    #expect(p[1].notAssessed == 1)
    #expect(p[2].safe == 1 && p[2].submissions == 1)
    #expect(p[3].atRisk == 1 && p[3].submissions == 1)
    // Workplace valid until day 4.5, plus one day's grace: overdue from day 5.5.
    #expect(p[4].atRisk == 1)
    #expect(p[5].overdue == 1)
    #expect(p[7].overdue == 1)
    #expect([p[8], p[9]].allSatisfy { $0 == .init() })
    #expect(p[10].overdue == 1)
  }

  @Test("counts of two halves of the facilities added equal the counts of all of them")
  func halves() {
    let instants = (0..<6).map { Self.micros(Double($0) + 1) - 1 }
    let starts = (0..<6).map { Self.micros(Double($0)) }
    let facilities = (0..<4).map { n in
      FacilityTimeline(
        issued: Self.micros(0.5),
        hasDormitory: false,
        graceDays: 0,
        assessments: [
          .init(
            submitted: Self.micros(Double(n) + 1.5),
            isDormitory: false,
            level: n % 2 == 0 ? .safe : .unsafe,
            validUntil: Self.micros(Double(n) + 3.5)
          )
        ],
        statusChanges: []
      )
    }
    var all = TrendCounts(instants: instants, periodStarts: starts)
    var lower = all
    var upper = all
    for facility in facilities { all.add(facility) }
    for facility in facilities.prefix(2) { lower.add(facility) }
    for facility in facilities.dropFirst(2) { upper.add(facility) }
    lower.add(upper)
    #expect(lower.points == all.points)
    #expect(all.points[2].safe == 1 && all.points[2].unsafe == 1 && all.points[2].notAssessed == 2)
    #expect(all.points.map(\.submissions) == [0, 1, 1, 1, 1, 0])
  }
}
