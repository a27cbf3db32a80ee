import Foundation

/// A facility's colour now (DESIGN.md §3): the worse of its latest workplace and (if it has a
/// dormitory) dormitory results; NOT_ASSESSED with none; OVERDUE when a latest result is past
/// its validity plus the province's grace days. Reports apply the same rule in SQL.
public enum FacilityStanding {
  public enum Level: String, Sendable, Hashable {
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
    let dormitory = hasDormitory ? dormitory : nil
    if workplace == nil && dormitory == nil { return .notAssessed }
    if let workplace, workplace.validUntil + grace < now { return .overdue }
    if let dormitory, dormitory.validUntil + grace < now { return .overdue }
    let worst = max(workplace?.mapLevel ?? .safe, dormitory?.mapLevel ?? .safe)
    return worst == .safe ? .safe : worst == .atRisk ? .atRisk : .unsafe
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
