import Foundation
import PostgresNIO
import SafeMapCore
import SafeMapTestSupport
import Testing

@testable import SafeMapReporting

/// The facility level is written twice: in Swift (`FacilityStanding`, which trends and the
/// assessment service use) and in SQL (`FacilityFacts.level`, which every report on "now" and
/// every list uses). Both run here on every combination of their inputs, in PostgreSQL itself.
@Suite("FacilityLevelRule")
struct FacilityLevelRuleTests {
  struct Inputs: Sendable, CustomStringConvertible {
    var workplace: MapLevel?
    var workplaceOverdue: Bool
    var dormitory: MapLevel?
    var dormitoryOverdue: Bool
    var hasDormitory: Bool

    var description: String {
      "workplace \(workplace?.rawValue ?? "none")\(workplaceOverdue ? " overdue" : ""), "
        + "dormitory \(dormitory?.rawValue ?? "none")\(dormitoryOverdue ? " overdue" : ""), "
        + (hasDormitory ? "has a dormitory" : "no dormitory")
    }
  }

  /// 4 × 2 × 4 × 2 × 2 = 128 combinations (a result that does not exist is never overdue, as
  /// in the database, where its validity is NULL).
  static let combinations: [Inputs] = {
    let levels: [MapLevel?] = [nil] + MapLevel.allCases
    var all: [Inputs] = []
    for workplace in levels {
      for workplaceOverdue in [false, true] {
        for dormitory in levels {
          for dormitoryOverdue in [false, true] {
            for hasDormitory in [false, true] {
              all.append(
                Inputs(
                  workplace: workplace,
                  workplaceOverdue: workplaceOverdue && workplace != nil,
                  dormitory: dormitory,
                  dormitoryOverdue: dormitoryOverdue && dormitory != nil,
                  hasDormitory: hasDormitory
                )
              )
            }
          }
        }
      }
    }
    return all
  }()

  @Test("the SQL rule and FacilityStanding agree on every combination of inputs")
  func agree() async throws {
    let cluster = try await PostgresCluster.shared()
    // A validity that ended a day before `due` is overdue; one that ends a day after is not.
    func row(_ index: Int, _ inputs: Inputs) -> String {
      func level(_ level: MapLevel?) -> String { level.map { "'\($0.rawValue)'" } ?? "NULL" }
      func until(_ level: MapLevel?, _ overdue: Bool) -> String {
        guard level != nil else { return "NULL::timestamptz" }
        return overdue ? "timestamptz '2026-01-09'" : "timestamptz '2026-01-11'"
      }
      return "(\(index), \(level(inputs.workplace)), "
        + "\(until(inputs.workplace, inputs.workplaceOverdue)), \(level(inputs.dormitory)), "
        + "\(until(inputs.dormitory, inputs.dormitoryOverdue)), \(inputs.hasDormitory))"
    }
    let values = Self.combinations.enumerated().map { row($0.offset, $0.element) }
    let sql = """
      SELECT b.k, \(FacilityFacts.level(of: "b", due: "timestamptz '2026-01-10'"))
      FROM (VALUES \(values.joined(separator: ",\n"))) AS b(k, w_level, w_until, d_level,
        d_until, has_dormitory)
      ORDER BY b.k
      """
    let answers = try await PostgresTesting.withClient(
      cluster.configuration(database: "postgres")
    ) { client, logger in
      var answers: [Int: String] = [:]
      for try await (k, level) in try await client.query(
        PostgresQuery(unsafeSQL: sql),
        logger: logger
      ).decode((Int, String).self) {
        answers[k] = level
      }
      return answers
    }
    #expect(answers.count == Self.combinations.count)
    var disagreements = 0
    for (index, inputs) in Self.combinations.enumerated() {
      let swift = FacilityStanding.level(
        workplace: inputs.workplace,
        workplaceOverdue: inputs.workplaceOverdue,
        dormitory: inputs.dormitory,
        dormitoryOverdue: inputs.dormitoryOverdue,
        hasDormitory: inputs.hasDormitory
      )
      if answers[index] != swift.rawValue { disagreements += 1 }
      #expect(answers[index] == swift.rawValue, "\(inputs)")
    }
    #expect(disagreements == 0)
    // The combinations reach every level, so agreement is not agreement on one answer.
    #expect(Set(answers.values).count == 5)
  }
}
