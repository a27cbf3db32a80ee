import Foundation
import SafeMapCore
import Testing

/// The colour a facility shows now (docs/domain.md: assessment model).
@Suite("Facility standing")
struct FacilityStandingTests {
  static let now = Date(timeIntervalSince1970: 1_632_000_000)  // 18 Sep 2021

  static func latest(_ level: MapLevel, validForDays days: Double) -> FacilityStanding.Latest {
    .init(mapLevel: level, validUntil: now.addingTimeInterval(days * 86_400))
  }

  static func evaluate(
    workplace: FacilityStanding.Latest?,
    dormitory: FacilityStanding.Latest? = nil,
    hasDormitory: Bool = false,
    graceDays: Int = 0
  ) -> FacilityStanding.Result {
    FacilityStanding.evaluate(
      workplace: workplace,
      dormitory: dormitory,
      hasDormitory: hasDormitory,
      graceDays: graceDays,
      now: now
    )
  }

  @Test("never assessed is NOT_ASSESSED; a valid result shows its own colour")
  func notAssessedAndValid() {
    #expect(Self.evaluate(workplace: nil).level == .notAssessed)
    #expect(Self.evaluate(workplace: nil, hasDormitory: true).level == .notAssessed)
    #expect(Self.evaluate(workplace: Self.latest(.safe, validForDays: 3)).level == .safe)
    #expect(Self.evaluate(workplace: Self.latest(.atRisk, validForDays: 3)).level == .atRisk)
    #expect(Self.evaluate(workplace: Self.latest(.unsafe, validForDays: 3)).level == .unsafe)
  }

  @Test("past its validity the result is OVERDUE, unless the province's grace days still cover it")
  func overdue() {
    let expired = Self.latest(.safe, validForDays: -0.5)
    let result = Self.evaluate(workplace: expired)
    #expect(result.level == .overdue && result.workplaceOverdue)
    let graced = Self.evaluate(workplace: expired, graceDays: 1)
    #expect(graced.level == .safe && !graced.workplaceOverdue)
    #expect(
      Self.evaluate(workplace: Self.latest(.safe, validForDays: -1.5), graceDays: 1).level
        == .overdue
    )
  }

  @Test("the worse of workplace and dormitory, and the dormitory only where there is one")
  func worseOfBoth() {
    let workplace = Self.latest(.safe, validForDays: 5)
    let dormitory = Self.latest(.unsafe, validForDays: 5)
    #expect(
      Self.evaluate(workplace: workplace, dormitory: dormitory, hasDormitory: true).level
        == .unsafe
    )
    #expect(
      Self.evaluate(workplace: workplace, dormitory: dormitory, hasDormitory: false).level
        == .safe
    )
    let staleDormitory = Self.latest(.safe, validForDays: -2)
    let result = Self.evaluate(workplace: workplace, dormitory: staleDormitory, hasDormitory: true)
    #expect(result.level == .overdue && result.dormitoryOverdue && !result.workplaceOverdue)
  }
}
