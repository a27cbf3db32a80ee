/// The risk model of Decision 2194/QĐ-BCĐQG (docs/domain.md): criteria points add up to a score,
/// the score over the catalogue's maximum is the risk index, the index falls into one of five
/// risk levels, and each risk level maps to a colour on the map. Pure logic: catalogues are data
/// and arrive here already loaded.

/// The five risk bands, least risky first.
public enum RiskLevel: String, CaseIterable, Sendable, Hashable, Comparable {
  case veryLow = "VERY_LOW"
  case low = "LOW"
  case medium = "MEDIUM"
  case high = "HIGH"
  case veryHigh = "VERY_HIGH"

  public static func < (a: RiskLevel, b: RiskLevel) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }
}

/// The colour of an assessed facility, least severe first.
public enum MapLevel: String, CaseIterable, Sendable, Hashable, Comparable {
  case safe = "SAFE"
  case atRisk = "AT_RISK"
  case unsafe = "UNSAFE"

  public static func < (a: MapLevel, b: MapLevel) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }
}

/// A scored catalogue in the form the rules need.
public struct ScoringCatalogue: Sendable, Hashable {
  public struct Option: Sendable, Hashable {
    public var code: String
    public var points: Int
    /// Forces at least this map level whatever the score.
    public var knockOut: MapLevel?
    /// For profile-computed criteria: applies when the value is in `[rangeMin, rangeMax)`.
    public var rangeMin: Double?
    public var rangeMax: Double?

    public init(
      code: String,
      points: Int,
      knockOut: MapLevel? = nil,
      rangeMin: Double? = nil,
      rangeMax: Double? = nil
    ) {
      self.code = code
      self.points = points
      self.knockOut = knockOut
      self.rangeMin = rangeMin
      self.rangeMax = rangeMax
    }

    /// Whether a profile value falls in this option's range (the option the server computes).
    public func contains(_ value: Double) -> Bool {
      (rangeMin.map { value >= $0 } ?? true) && (rangeMax.map { value < $0 } ?? true)
    }
  }

  public struct Criterion: Sendable, Hashable {
    public var code: String
    public var options: [Option]
    /// Set when the server may compute the answer from the facility profile.
    public var profileSource: ProfileSource?

    public init(code: String, options: [Option], profileSource: ProfileSource? = nil) {
      self.code = code
      self.options = options
      self.profileSource = profileSource
    }

    public var maxPoints: Int { options.map(\.points).max() ?? 0 }
  }

  public enum ProfileSource: String, Sendable, Hashable {
    case workerCount, areaPerWorker, dormitoryResidents
  }

  public var criteria: [Criterion]
  /// Inclusive upper bounds of the index (percent) for every level but the last, in order.
  public var thresholds: [(RiskLevel, Double)]
  public var mapping: [RiskLevel: MapLevel]

  public init(
    criteria: [Criterion],
    thresholds: [(RiskLevel, Double)],
    mapping: [RiskLevel: MapLevel]
  ) {
    self.criteria = criteria
    self.thresholds = thresholds
    self.mapping = mapping
  }

  public static func == (a: ScoringCatalogue, b: ScoringCatalogue) -> Bool {
    a.criteria == b.criteria && a.mapping == b.mapping
      && a.thresholds.map(\.0) == b.thresholds.map(\.0)
      && a.thresholds.map(\.1) == b.thresholds.map(\.1)
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(criteria)
  }

  public var maxPoints: Int { criteria.map(\.maxPoints).reduce(0, +) }

  /// the bands and mapping of docs/domain.md.
  public static let standardThresholds: [(RiskLevel, Double)] = [
    (.veryLow, 15), (.low, 30), (.medium, 50), (.high, 80),
  ]
  public static let standardMapping: [RiskLevel: MapLevel] = [
    .veryLow: .safe, .low: .atRisk, .medium: .atRisk, .high: .unsafe, .veryHigh: .unsafe,
  ]

  /// What an imported catalogue must satisfy: unique criterion codes, options with unique codes
  /// and non-negative points, thresholds strictly increasing within (0, 100), one per level but
  /// the last, every risk level mapped.
  public func violations(prefix: String = "catalogue.") -> FieldViolations {
    var v = FieldViolations()
    v.require(!criteria.isEmpty, prefix + "criteria", "at least one criterion")
    var codes: Set<String> = []
    for (i, criterion) in criteria.enumerated() {
      let field = "\(prefix)criteria[\(i)]"
      v.require(!criterion.code.isEmpty, field + ".code", "required")
      v.require(
        codes.insert(criterion.code).inserted,
        field + ".code",
        "\(criterion.code) appears twice"
      )
      v.require(!criterion.options.isEmpty, field + ".options", "at least one option")
      var optionCodes: Set<String> = []
      for (j, option) in criterion.options.enumerated() {
        v.require(
          optionCodes.insert(option.code).inserted && !option.code.isEmpty,
          "\(field).options[\(j)].code",
          "must be present and unique within the criterion"
        )
        v.require(option.points >= 0, "\(field).options[\(j)].points", "must not be negative")
      }
    }
    v.require(maxPoints > 0, prefix + "criteria", "the maximum score must be positive")
    let levels = thresholds.map(\.0)
    v.require(
      levels == Array(RiskLevel.allCases.dropLast()),
      prefix + "thresholds",
      "one per risk level from VERY_LOW to HIGH, in order"
    )
    let bounds = thresholds.map(\.1)
    v.require(
      zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 },
      prefix + "thresholds",
      "must increase"
    )
    v.require(
      bounds.allSatisfy { $0 > 0 && $0 < 100 },
      prefix + "thresholds",
      "must lie within (0, 100)"
    )
    for level in RiskLevel.allCases where mapping[level] == nil {
      v.add(prefix + "level_mapping", "\(level.rawValue) is not mapped")
    }
    return v
  }

  /// The risk level of an index (percent).
  public func riskLevel(index: Double) -> RiskLevel {
    for (level, bound) in thresholds where index <= bound + 1e-9 { return level }
    return .veryHigh
  }
}

/// The facility figures some criteria are computed from.
public struct FacilityProfile: Sendable, Hashable {
  public var workerCount: Int
  public var workshopAreaM2: Double
  public var dormitoryResidents: Int

  public init(workerCount: Int, workshopAreaM2: Double, dormitoryResidents: Int) {
    self.workerCount = workerCount
    self.workshopAreaM2 = workshopAreaM2
    self.dormitoryResidents = dormitoryResidents
  }

  /// The profile figure a computed criterion reads (shown on the web form as computed).
  public func value(_ source: ScoringCatalogue.ProfileSource) -> Double {
    switch source {
    case .workerCount: return Double(workerCount)
    case .areaPerWorker: return workerCount == 0 ? .infinity : workshopAreaM2 / Double(workerCount)
    case .dormitoryResidents: return Double(dormitoryResidents)
    }
  }
}

/// One unit's result.
public struct UnitScore: Sendable, Hashable {
  public var unitName: String
  /// Criterion code → option code, including the computed ones.
  public var answers: [String: String]
  public var score: Int
  public var maxPoints: Int
  public var indexPercent: Double
  public var riskLevel: RiskLevel
  public var mapLevel: MapLevel
  public var knockedOutBy: [String]
  /// (criterion, option, points), largest first.
  public var contributions: [(criterion: String, option: String, points: Int)]

  public static func == (a: UnitScore, b: UnitScore) -> Bool {
    a.unitName == b.unitName && a.answers == b.answers && a.score == b.score
      && a.riskLevel == b.riskLevel && a.mapLevel == b.mapLevel && a.knockedOutBy == b.knockedOutBy
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(unitName)
    hasher.combine(score)
  }
}

public enum Scoring {
  /// Scores one unit's answers, or lists every violation: each criterion answered exactly once
  /// (profile-computed ones may be left out), options that exist, computed answers that agree
  /// with the profile. `field` prefixes the violation paths (`units[0]`).
  public static func score(
    unitName: String,
    answers: [(criterion: String, option: String)],
    catalogue: ScoringCatalogue,
    profile: FacilityProfile,
    field: String
  ) -> Result<UnitScore, FieldViolations> {
    var v = FieldViolations()
    var chosen: [String: String] = [:]
    let criteria = Dictionary(uniqueKeysWithValues: catalogue.criteria.map { ($0.code, $0) })
    for (i, answer) in answers.enumerated() {
      let path = "\(field).answers[\(i)]"
      guard let criterion = criteria[answer.criterion] else {
        v.add(path + ".criterion_code", "\(answer.criterion) is not in the catalogue")
        continue
      }
      guard chosen[answer.criterion] == nil else {
        v.add(path + ".criterion_code", "\(answer.criterion) is answered more than once")
        continue
      }
      guard let option = criterion.options.first(where: { $0.code == answer.option }) else {
        v.add(path + ".option_code", "\(answer.option) is not an option of \(answer.criterion)")
        continue
      }
      if let source = criterion.profileSource, !option.contains(profile.value(source)) {
        v.add(
          path + ".option_code",
          "\(answer.option) contradicts the facility profile for \(answer.criterion)"
        )
        continue
      }
      chosen[answer.criterion] = answer.option
    }
    for criterion in catalogue.criteria where chosen[criterion.code] == nil {
      if let source = criterion.profileSource {
        let value = profile.value(source)
        if let option = criterion.options.first(where: { $0.contains(value) }) {
          chosen[criterion.code] = option.code
          continue
        }
      }
      if !answers.contains(where: { $0.criterion == criterion.code }) {
        v.add("\(field).answers", "\(criterion.code) is not answered")
      }
    }
    guard v.isEmpty else { return .failure(v) }

    var score = 0
    var knockOuts: [(String, MapLevel)] = []
    var contributions: [(criterion: String, option: String, points: Int)] = []
    for criterion in catalogue.criteria {
      let option = criterion.options.first { $0.code == chosen[criterion.code] }!
      score += option.points
      if option.points > 0 { contributions.append((criterion.code, option.code, option.points)) }
      if let level = option.knockOut { knockOuts.append((criterion.code, level)) }
    }
    let maxPoints = catalogue.maxPoints
    let index = Double(score) * 100 / Double(maxPoints)
    let risk = catalogue.riskLevel(index: index)
    let base = catalogue.mapping[risk] ?? .unsafe
    let forced = knockOuts.map(\.1).max() ?? base
    let map = max(base, forced)
    let knockedOutBy = map > base ? knockOuts.filter { $0.1 == map }.map(\.0) : []
    contributions.sort {
      $0.points > $1.points || $0.points == $1.points && $0.criterion < $1.criterion
    }
    return .success(
      UnitScore(
        unitName: unitName,
        answers: chosen,
        score: score,
        maxPoints: maxPoints,
        indexPercent: (index * 100).rounded() / 100,
        riskLevel: risk,
        mapLevel: map,
        knockedOutBy: knockedOutBy,
        contributions: contributions
      )
    )
  }

  /// The facility result of a submission: its worst unit (highest map level, then highest
  /// index).
  public static func worst(_ units: [UnitScore]) -> UnitScore? {
    units.max { a, b in
      a.mapLevel != b.mapLevel ? a.mapLevel < b.mapLevel : a.indexPercent < b.indexPercent
    }
  }
}
