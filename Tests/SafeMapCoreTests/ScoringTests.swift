import SafeMapCore
import Testing

@Suite("Scoring")
struct ScoringTests {
  /// Ten criteria worth 0…100 points in steps of 1 (score = points), plus one knock-out
  /// criterion worth nothing: the maximum is exactly 100 points, so the index equals the score.
  static func catalogue(knockOut: MapLevel? = .unsafe) -> ScoringCatalogue {
    var criteria: [ScoringCatalogue.Criterion] = (1...10).map { n in
      ScoringCatalogue.Criterion(
        code: "C\(n)",
        options: (0...10).map { ScoringCatalogue.Option(code: "p\($0)", points: $0) }
      )
    }
    criteria.append(
      .init(
        code: "KO",
        options: [
          .init(code: "no", points: 0), .init(code: "yes", points: 0, knockOut: knockOut),
        ]
      )
    )
    return ScoringCatalogue(
      criteria: criteria,
      thresholds: ScoringCatalogue.standardThresholds,
      mapping: ScoringCatalogue.standardMapping
    )
  }

  /// Answers worth `points` in total (0…100).
  static func answers(points: Int, knockOut: Bool = false) -> [(criterion: String, option: String)]
  {
    var left = points
    var answers: [(criterion: String, option: String)] = []
    for n in 1...10 {
      let p = min(10, left)
      left -= p
      answers.append(("C\(n)", "p\(p)"))
    }
    answers.append(("KO", knockOut ? "yes" : "no"))
    return answers
  }

  static let profile = FacilityProfile(workerCount: 100, workshopAreaM2: 500, dormitoryResidents: 0)

  func score(_ points: Int, maxPoints: Int = 100, knockOut: Bool = false) throws -> UnitScore {
    try Scoring.score(
      unitName: "u",
      answers: Self.answers(points: points, knockOut: knockOut),
      catalogue: Self.catalogue(),
      profile: Self.profile,
      field: "units[0]"
    ).get()
  }

  @Test(
    "every band edge falls on the right side",
    arguments: [
      (0, RiskLevel.veryLow, MapLevel.safe), (15, .veryLow, .safe), (16, .low, .atRisk),
      (30, .low, .atRisk), (31, .medium, .atRisk), (50, .medium, .atRisk), (51, .high, .unsafe),
      (80, .high, .unsafe), (81, .veryHigh, .unsafe), (100, .veryHigh, .unsafe),
    ]
  )
  func bandEdges(points: Int, risk: RiskLevel, map: MapLevel) throws {
    let result = try score(points)
    #expect(result.indexPercent == Double(points))
    #expect(result.riskLevel == risk)
    #expect(result.mapLevel == map)
  }

  @Test("fractional indexes just above an edge: 15.01, 30.01, 80.01 %")
  func fractionalEdges() {
    let catalogue = Self.catalogue()
    #expect(catalogue.riskLevel(index: 15) == .veryLow)
    #expect(catalogue.riskLevel(index: 15.01) == .low)
    #expect(catalogue.riskLevel(index: 30) == .low)
    #expect(catalogue.riskLevel(index: 30.01) == .medium)
    #expect(catalogue.riskLevel(index: 50) == .medium)
    #expect(catalogue.riskLevel(index: 50.01) == .high)
    #expect(catalogue.riskLevel(index: 80) == .high)
    #expect(catalogue.riskLevel(index: 80.01) == .veryHigh)
    // 45 of 300 points is exactly 15 %.
    #expect(catalogue.riskLevel(index: 45.0 * 100 / 300) == .veryLow)
  }

  @Test("a knock-out option forces its level whatever the score, and is named")
  func knockOut() throws {
    let result = try score(5, knockOut: true)
    #expect(result.riskLevel == .veryLow)
    #expect(result.mapLevel == .unsafe)
    #expect(result.knockedOutBy == ["KO"])
    let milder = try Scoring.score(
      unitName: "u",
      answers: Self.answers(points: 90, knockOut: true),
      catalogue: Self.catalogue(knockOut: .atRisk),
      profile: Self.profile,
      field: "units[0]"
    ).get()
    #expect(milder.mapLevel == .unsafe)
    #expect(milder.knockedOutBy.isEmpty)
  }

  @Test("missing, repeated and unknown answers are all listed")
  func violations() {
    var answers = Self.answers(points: 10)
    answers.removeFirst()
    answers.append(("C2", "p1"))
    answers.append(("C99", "p1"))
    answers[1] = ("C3", "p11")
    let result = Scoring.score(
      unitName: "u",
      answers: answers,
      catalogue: Self.catalogue(),
      profile: Self.profile,
      field: "units[0]"
    )
    guard case .failure(let v) = result else {
      Issue.record("accepted invalid answers")
      return
    }
    let message = v.message
    #expect(message.contains("C1 is not answered"))
    #expect(message.contains("C2 is answered more than once"))
    #expect(message.contains("C99 is not in the catalogue"))
    #expect(message.contains("p11 is not an option of C3"))
  }

  @Test("profile criteria are computed when left out and checked when given")
  func profileCriteria() throws {
    let cs1 = ScoringCatalogue.Criterion(
      code: "CS1",
      options: [
        .init(code: "lt50", points: 1, rangeMax: 50),
        .init(code: "50_199", points: 2, rangeMin: 50, rangeMax: 200),
        .init(code: "ge200", points: 4, rangeMin: 200),
      ],
      profileSource: .workerCount
    )
    let cs2 = ScoringCatalogue.Criterion(
      code: "CS2",
      options: [
        .init(code: "ge1", points: 0, rangeMin: 1), .init(code: "lt1", points: 10, rangeMax: 1),
      ],
      profileSource: .areaPerWorker
    )
    let catalogue = ScoringCatalogue(
      criteria: [cs1, cs2],
      thresholds: ScoringCatalogue.standardThresholds,
      mapping: ScoringCatalogue.standardMapping
    )
    let crowded = FacilityProfile(workerCount: 120, workshopAreaM2: 100, dormitoryResidents: 0)
    let computed = try Scoring.score(
      unitName: "u",
      answers: [],
      catalogue: catalogue,
      profile: crowded,
      field: "units[0]"
    ).get()
    #expect(computed.answers == ["CS1": "50_199", "CS2": "lt1"])
    #expect(computed.score == 12)
    let contradicting = Scoring.score(
      unitName: "u",
      answers: [("CS1", "lt50")],
      catalogue: catalogue,
      profile: crowded,
      field: "units[0]"
    )
    guard case .failure(let v) = contradicting else {
      Issue.record("accepted an answer that contradicts the profile")
      return
    }
    #expect(v.message.contains("contradicts the facility profile"))
  }

  @Test("the facility result is the worst unit")
  func worstUnit() throws {
    let a = try score(10)
    let b = try score(60)
    let c = try score(5, knockOut: true)
    #expect(Scoring.worst([a, b])?.indexPercent == 60)
    // Same colour: the higher index decides.
    #expect(Scoring.worst([b, c])?.indexPercent == 60)
    #expect(Scoring.worst([a, c])?.mapLevel == .unsafe)
  }

  @Test("catalogue validation: unique codes, increasing thresholds, every level mapped")
  func catalogueValidation() {
    #expect(Self.catalogue().violations().isEmpty)
    var bad = Self.catalogue()
    bad.criteria.append(bad.criteria[0])
    bad.thresholds = [(.veryLow, 30), (.low, 15), (.medium, 50), (.high, 80)]
    bad.mapping[.veryHigh] = nil
    let message = bad.violations().message
    #expect(message.contains("C1 appears twice"))
    #expect(message.contains("must increase"))
    #expect(message.contains("VERY_HIGH is not mapped"))
  }
}
