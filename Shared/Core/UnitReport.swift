import Foundation

/// Sign-off of a campaign's figures (docs/domain.md, "Districts report back"): the rules every
/// service and client shares, without I/O. The raw values are the SQL text.
public enum UnitReport {
  /// Who reports: a district of the campaign's area, or a zone board for the facilities
  /// inside its zone (those are also in their district: a province total counts them once).
  public enum UnitKind: String, CaseIterable, Hashable, Sendable {
    case district = "DISTRICT"
    case zone = "ZONE"
  }

  /// A unit's report. No row at all is "not submitted".
  public enum State: String, CaseIterable, Hashable, Sendable {
    case submitted = "SUBMITTED"
    case returned = "RETURNED"
    case accepted = "ACCEPTED"
    case reopened = "REOPENED"

    /// Counted as reported (the rate's numerator).
    public var counts: Bool { self == .submitted || self == .accepted }

    /// A unit may submit when it has not, or when the province sent its report back.
    public static func maySubmit(from state: State?) -> Bool {
      switch state {
      case nil, .returned, .reopened: true
      case .submitted, .accepted: false
      }
    }
  }

  /// What the province does with submitted or accepted reports.
  public enum ReviewAction: String, CaseIterable, Hashable, Sendable {
    case accept = "ACCEPT"
    case `return` = "RETURN"
    case reopen = "REOPEN"

    /// The state the action leads to from `state`; nil when it is not allowed from there.
    public func next(from state: State?) -> State? {
      switch (self, state) {
      case (.accept, .submitted?): .accepted
      case (.return, .submitted?): .returned
      case (.reopen, .accepted?): .reopened
      default: nil
      }
    }

    /// Returning and reopening say why; accepting may not.
    public var needsReason: Bool { self != .accept }

    /// The state it starts from, for the message refusing it.
    public var from: State { self == .reopen ? .accepted : .submitted }
  }

  public enum Timeliness: String, CaseIterable, Hashable, Sendable {
    case onTime = "ON_TIME"
    case late = "LATE"
    case missing = "MISSING"
    case notExpected = "NOT_EXPECTED"

    /// A unit with no active facility is not expected; otherwise a counting report is on time
    /// if the submission that counts was made by the deadline, late after it; anything else
    /// is missing.
    public init(expected: Bool, state: State?, submittedAt: Date?, deadline: Date) {
      guard expected else {
        self = .notExpected
        return
      }
      guard let state, state.counts, let submittedAt else {
        self = .missing
        return
      }
      self = submittedAt <= deadline ? .onTime : .late
    }
  }

  /// The campaign's figures: units expected, submitted, accepted, on time, late, missing.
  public struct Rate: Hashable, Sendable {
    public var expected = 0
    public var submitted = 0
    public var accepted = 0
    public var onTime = 0
    public var late = 0
    public var missing = 0

    public init() {}

    public mutating func add(_ timeliness: Timeliness, state: State?) {
      guard timeliness != .notExpected else { return }
      expected += 1
      switch timeliness {
      case .onTime: onTime += 1
      case .late: late += 1
      case .missing: missing += 1
      case .notExpected: break
      }
      if timeliness != .missing { submitted += 1 }
      if timeliness != .missing, state == .accepted { accepted += 1 }
    }

    /// submitted ÷ expected × 100; 0 when nothing is expected.
    public var percent: Double {
      expected == 0 ? 0 : Double(submitted) * 100 / Double(expected)
    }
  }

  /// The longest comment or reason kept (a letter's paragraph, not a document).
  public static let maximumTextLength = 1_000
  /// The most units one review may act on.
  public static let maximumReviewUnits = 500
}
