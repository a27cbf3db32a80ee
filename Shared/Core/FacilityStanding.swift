import Foundation

/// A facility's colour now (docs/domain.md): the worse of its latest workplace and (if it has a
/// dormitory) dormitory results; NOT_ASSESSED with none; OVERDUE when a latest result is past
/// its validity plus the province's grace days. Reports apply the same rule in SQL.
public enum FacilityStanding {
  public enum Level: String, CaseIterable, Sendable, Hashable {
    case safe = "SAFE", atRisk = "AT_RISK", unsafe = "UNSAFE"
    case notAssessed = "NOT_ASSESSED", overdue = "OVERDUE"
  }

  public struct Result: Sendable, Hashable {
    public var level: Level
    public var workplaceOverdue: Bool
    public var dormitoryOverdue: Bool
  }

  public struct Latest: Sendable, Hashable {
    public var mapLevel: MapLevel
    public var validUntil: Date

    public init(mapLevel: MapLevel, validUntil: Date) {
      self.mapLevel = mapLevel
      self.validUntil = validUntil
    }
  }

  /// The level alone, without allocating: reports evaluate it millions of times (trends).
  public static func level(
    workplace: Latest?,
    dormitory: Latest?,
    hasDormitory: Bool,
    grace: TimeInterval,
    now: Date
  ) -> Level {
    level(
      workplace: workplace?.mapLevel,
      workplaceOverdue: workplace.map { $0.validUntil + grace < now } ?? false,
      dormitory: dormitory?.mapLevel,
      dormitoryOverdue: dormitory.map { $0.validUntil + grace < now } ?? false,
      hasDormitory: hasDormitory
    )
  }

  /// The level from each kind's latest result and whether it is past its validity and grace
  /// (what reports read from the database, grouped): the rule itself.
  public static func level(
    workplace: MapLevel?,
    workplaceOverdue: Bool,
    dormitory: MapLevel?,
    dormitoryOverdue: Bool,
    hasDormitory: Bool
  ) -> Level {
    let dormitory = hasDormitory ? dormitory : nil
    guard let worst = worst(workplace: workplace, dormitory: dormitory, hasDormitory: true) else {
      return .notAssessed
    }
    if workplace != nil && workplaceOverdue { return .overdue }
    if dormitory != nil && dormitoryOverdue { return .overdue }
    return worst == .safe ? .safe : worst == .atRisk ? .atRisk : .unsafe
  }

  /// The worse of the required kinds' latest results, overdue or not; `nil` with none. A
  /// facility flagged "self-assessed safe, inspected unsafe" is one whose worst is SAFE.
  public static func worst(workplace: MapLevel?, dormitory: MapLevel?, hasDormitory: Bool)
    -> MapLevel?
  {
    let dormitory = hasDormitory ? dormitory : nil
    switch (workplace, dormitory) {
    case (nil, nil): return nil
    case (let w?, nil): return w
    case (nil, let d?): return d
    case (let w?, let d?): return max(w, d)
    }
  }

  public static func evaluate(
    workplace: Latest?,
    dormitory: Latest?,
    hasDormitory: Bool,
    graceDays: Int,
    now: Date
  ) -> Result {
    let grace = TimeInterval(graceDays) * 86_400
    func overdue(_ latest: Latest?) -> Bool { latest.map { $0.validUntil + grace < now } ?? false }
    return Result(
      level: level(
        workplace: workplace,
        dormitory: dormitory,
        hasDormitory: hasDormitory,
        grace: grace,
        now: now
      ),
      workplaceOverdue: overdue(workplace),
      dormitoryOverdue: hasDormitory && overdue(dormitory)
    )
  }
}
