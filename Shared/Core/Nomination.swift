import Foundation

/// Nominations of operating facilities without an account (docs/domain.md, "Nominations"): the
/// rules every service and client shares, without I/O. The raw values are the SQL text.
public enum Nomination {
  public enum State: String, CaseIterable, Hashable, Sendable {
    case submitted = "SUBMITTED"
    case needsInformation = "NEEDS_INFORMATION"
    case approved = "APPROVED"
    case rejected = "REJECTED"
    case issued = "ISSUED"

    /// The nominating unit may amend or answer while the province has not decided.
    public var mayUpdate: Bool { self == .submitted || self == .needsInformation }
  }

  public enum ReviewAction: String, CaseIterable, Hashable, Sendable {
    case approve = "APPROVE"
    case reject = "REJECT"
    case askForInformation = "ASK_FOR_INFORMATION"

    /// The state the action leads to from `state`; nil when it is not allowed from there.
    /// A nomination waiting for the unit's answer can only be rejected: approving it would
    /// skip the answer the province asked for.
    public func next(from state: State) -> State? {
      switch (self, state) {
      case (.approve, .submitted): .approved
      case (.reject, .submitted), (.reject, .needsInformation): .rejected
      case (.askForInformation, .submitted): .needsInformation
      default: nil
      }
    }

    /// Rejecting says why, asking says what.
    public var needsReason: Bool { self != .approve }

    /// The states it starts from, for the message refusing it.
    public var from: [State] { self == .reject ? [.submitted, .needsInformation] : [.submitted] }
  }

  /// Whether a unit has answered a drive by its deadline.
  public static func timeliness(respondedAt: Date?, deadline: Date) -> UnitReport.Timeliness {
    guard let respondedAt else { return .missing }
    return respondedAt <= deadline ? .onTime : .late
  }

  /// The most rows one request nominates (a district's sheet).
  public static let maximumRows = 1_000
  /// The most nominations one review acts on.
  public static let maximumReviewed = 500
  /// The most similar names one nomination lists.
  public static let maximumWarnings = 5
}

/// Names that may be the same facility written differently: "Công ty TNHH May Việt Tiến" and
/// "CTY may Viet Tien". A nomination whose name is similar to a facility already registered in
/// the same district gets a warning for the officer and the reviewer, not a refusal: two
/// factories of one group can share most of a name.
public enum NameSimilarity {
  /// Words every company name carries; they say nothing about which company it is.
  static let legalWords: Set<String> = [
    "cong", "ty", "cty", "tnhh", "co", "phan", "cp", "mtv", "mot", "thanh", "vien", "chi",
    "nhanh", "cn", "doanh", "nghiep", "dntn", "tu", "nhan", "hop", "tac", "xa", "htx", "xi",
    "nha", "xuong", "tap", "doan", "va", "san", "xuat", "thuong", "mai", "dich", "vu", "ltd",
    "company", "jsc", "limited",
  ]

  /// The distinctive words of a name: folded (no accents, lower case), split on anything that
  /// is not a letter or digit, legal words dropped. When dropping leaves nothing, every word is
  /// kept ("Nhà máy" alone is still a name).
  public static func words(_ name: String) -> Set<String> {
    let all = SearchText.fold(name)
      .split(whereSeparator: { !$0.isLetter && !$0.isNumber })
      .map(String.init)
    let distinctive = all.filter { !legalWords.contains($0) }
    return Set(distinctive.isEmpty ? all : distinctive)
  }

  /// Similar when the distinctive words are the same set, or one name's words contain the
  /// other's (at least two of them), or they share at least 60% of their union.
  public static func isSimilar(_ a: String, _ b: String) -> Bool {
    let x = words(a)
    let y = words(b)
    return isSimilar(shared: x.intersection(y).count, x.count, y.count)
  }

  /// The same rule from counts alone: `shared` distinctive words between names of `a` and `b`
  /// words (what an index of names by word counts without comparing sets).
  public static func isSimilar(shared: Int, _ a: Int, _ b: Int) -> Bool {
    guard a > 0, b > 0, shared > 0 else { return false }
    if shared == a && shared == b { return true }
    if shared >= 2, shared == min(a, b) { return true }
    return Double(shared) / Double(a + b - shared) >= 0.6
  }
}

/// Where a facility's account stands on its way to the facility (docs/domain.md, "Hand-out").
public enum CredentialStatus: String, CaseIterable, Hashable, Sendable {
  case awaitingHandOut = "AWAITING_HAND_OUT"
  case handedOut = "HANDED_OUT"
  case activated = "ACTIVATED"
  case expired = "EXPIRED"

  /// Whether the unit may hand it out now: a first time, or again (`reissue`) while unused.
  public func mayHandOut(reissue: Bool) -> Bool {
    reissue ? (self == .handedOut || self == .expired) : self == .awaitingHandOut
  }

  /// The rule, over `accounts` aliased `a`, in SQL only (lists filter and count by it):
  /// activated once it has signed in; before that, awaiting until its unit hands it out, then
  /// handed out until the one-time password expires. `now()` is the statement's instant.
  public static let sql = """
    CASE WHEN a.activated_at IS NOT NULL THEN 'ACTIVATED'
      WHEN a.handed_out_at IS NULL THEN 'AWAITING_HAND_OUT'
      WHEN a.one_time_password_expires_at < now() THEN 'EXPIRED'
      ELSE 'HANDED_OUT' END
    """
}

/// How a credential left SafeMap.
public enum HandOutMethod: String, CaseIterable, Hashable, Sendable {
  case issuerSheet = "ISSUER_SHEET"
  case sheet = "SHEET"
  case letter = "LETTER"
}
