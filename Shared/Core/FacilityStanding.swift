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

  public static func evaluate(
    workplace: Latest?,
    dormitory: Latest?,
    hasDormitory: Bool,
    graceDays: Int,
    now: Date
  ) -> Result {
    let grace = TimeInterval(graceDays) * 86_400
    func overdue(_ latest: Latest?) -> Bool { latest.map { $0.validUntil + grace < now } ?? false }
    let required = [workplace] + (hasDormitory ? [dormitory] : [])
    let present = required.compactMap { $0 }
    let result = Result(
      level: .notAssessed,
      workplaceOverdue: overdue(workplace),
      dormitoryOverdue: hasDormitory && overdue(dormitory)
    )
    guard !present.isEmpty else { return result }
    if present.contains(where: { $0.validUntil + grace < now }) {
      return Result(
        level: .overdue,
        workplaceOverdue: result.workplaceOverdue,
        dormitoryOverdue: result.dormitoryOverdue
      )
    }
    let worst = present.map(\.mapLevel).max()!
    let level: Level = worst == .safe ? .safe : worst == .atRisk ? .atRisk : .unsafe
    return Result(level: level, workplaceOverdue: false, dormitoryOverdue: false)
  }
}
