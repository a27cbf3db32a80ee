import Foundation

/// Days and ISO weeks of Vietnam's calendar (UTC+7 all year, no daylight saving), so a trend's
/// periods are fixed lengths of time from an aligned start.
public struct TrendPeriods: Sendable, Hashable {
  public enum Interval: Sendable, Hashable { case day, week }

  public static let maximumCount = 366
  static let offset: TimeInterval = 7 * 3_600

  /// Start of the first period (local midnight; Monday for weeks).
  public var first: Date
  public var length: TimeInterval
  public var count: Int

  /// The periods covering `[start, end)`, the first aligned to the day or week `start` falls
  /// in; `nil` when `end` is not after `start`. Periods that start after `now` are left out.
  public init?(start: Date, end: Date, interval: Interval, now: Date = Date()) {
    guard end > start else { return nil }
    length = interval == .day ? 86_400 : 7 * 86_400
    let local = start.timeIntervalSince1970 + Self.offset
    var aligned = (local / 86_400).rounded(.down) * 86_400
    if interval == .week {
      // 1970-01-01 was a Thursday: days since the Monday before it, modulo 7.
      let day = Int((aligned / 86_400).rounded(.down))
      aligned -= Double(((day + 3) % 7 + 7) % 7) * 86_400
    }
    first = Date(timeIntervalSince1970: aligned - Self.offset)
    let last = min(end, now.addingTimeInterval(0.000_001))
    count = max(0, Int((last.timeIntervalSince(first) / length).rounded(.up)))
  }

  public func start(_ index: Int) -> Date { first.addingTimeInterval(Double(index) * length) }

  /// The instant a period's counts are taken at: its last microsecond, or `now` for the period
  /// still running.
  public func countingInstant(_ index: Int, now: Date) -> Date {
    min(start(index + 1).addingTimeInterval(-0.000_001), now)
  }
}

/// One facility's history as a trend needs it, times in microseconds since 1970.
public struct FacilityTimeline: Sendable {
  public struct Assessment: Sendable {
    public var submitted: Int64
    public var isDormitory: Bool
    public var level: MapLevel
    public var validUntil: Int64

    public init(submitted: Int64, isDormitory: Bool, level: MapLevel, validUntil: Int64) {
      self.submitted = submitted
      self.isDormitory = isDormitory
      self.level = level
      self.validUntil = validUntil
    }
  }

  public struct StatusChange: Sendable {
    public var recorded: Int64
    /// Local midnight of the effective date.
    public var effective: Int64
    public var active: Bool

    public init(recorded: Int64, effective: Int64, active: Bool) {
      self.recorded = recorded
      self.effective = effective
      self.active = active
    }
  }

  public var issued: Int64
  public var hasDormitory: Bool
  public var graceDays: Int
  /// Ordered by `submitted`.
  public var assessments: [Assessment]
  /// Ordered by effective date, then recording time: the last one that has come counts.
  public var statusChanges: [StatusChange]

  public init(
    issued: Int64,
    hasDormitory: Bool,
    graceDays: Int,
    assessments: [Assessment],
    statusChanges: [StatusChange]
  ) {
    self.issued = issued
    self.hasDormitory = hasDormitory
    self.graceDays = graceDays
    self.assessments = assessments
    self.statusChanges = statusChanges
  }

  /// Whether the facility is active at `instant` (the rule of docs/domain.md: reports).
  func isActive(at instant: Int64) -> Bool {
    var active = true
    for change in statusChanges where change.recorded <= instant && change.effective <= instant {
      active = change.active
    }
    return active
  }
}

/// Counts per level at a series of instants, built one facility at a time so a trend over a
/// province never holds more than one facility's history.
public struct TrendCounts: Sendable {
  public struct Point: Sendable, Hashable {
    public var safe = 0
    public var atRisk = 0
    public var unsafe = 0
    public var overdue = 0
    public var notAssessed = 0
    public var submissions = 0

    public init() {}
  }

  /// Ascending, microseconds.
  public let instants: [Int64]
  /// Submissions are counted in `(periodStarts[i], periodStarts[i] + length]`.
  public let periodStarts: [Int64]
  public private(set) var points: [Point]

  public init(instants: [Int64], periodStarts: [Int64]) {
    precondition(instants.count == periodStarts.count)
    self.instants = instants
    self.periodStarts = periodStarts
    points = Array(repeating: Point(), count: instants.count)
  }

  /// Adds the counts of another set of facilities over the same periods.
  public mutating func add(_ other: TrendCounts) {
    precondition(other.instants == instants && other.periodStarts == periodStarts)
    for index in points.indices {
      points[index].safe += other.points[index].safe
      points[index].atRisk += other.points[index].atRisk
      points[index].unsafe += other.points[index].unsafe
      points[index].overdue += other.points[index].overdue
      points[index].notAssessed += other.points[index].notAssessed
      points[index].submissions += other.points[index].submissions
    }
  }

  public mutating func add(_ facility: FacilityTimeline) {
    // Microseconds throughout: this runs once per facility and period (60,000 × 60 for a
    // province's daily trend), so no `Date` is made per step.
    let grace = Int64(facility.graceDays) * 86_400_000_000
    var next = 0
    var workplace: (level: MapLevel, due: Int64)?
    var dormitory: (level: MapLevel, due: Int64)?
    let history = facility.assessments
    for (index, instant) in instants.enumerated() {
      let start = periodStarts[index]
      while next < history.count && history[next].submitted <= instant {
        let assessment = history[next]
        let latest = (level: assessment.level, due: assessment.validUntil + grace)
        if assessment.isDormitory { dormitory = latest } else { workplace = latest }
        if assessment.submitted >= start { points[index].submissions += 1 }
        next += 1
      }
      guard facility.issued <= instant,
        facility.statusChanges.isEmpty || facility.isActive(at: instant)
      else { continue }
      let level = FacilityStanding.level(
        workplace: workplace?.level,
        workplaceOverdue: workplace.map { $0.due < instant } ?? false,
        dormitory: dormitory?.level,
        dormitoryOverdue: dormitory.map { $0.due < instant } ?? false,
        hasDormitory: facility.hasDormitory
      )
      switch level {
      case .safe: points[index].safe += 1
      case .atRisk: points[index].atRisk += 1
      case .unsafe: points[index].unsafe += 1
      case .overdue: points[index].overdue += 1
      case .notAssessed: points[index].notAssessed += 1
      }
    }
  }
}
