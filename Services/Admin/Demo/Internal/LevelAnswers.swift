import SafeMapAPI
import SwiftProtobuf

/// Answers that give a level, chosen from the active catalogue rather than written down: each
/// criterion answered with the option nearest a share of its highest points (none of the
/// options that force a level). 0 scores near nothing (safe), 0.35 lands in the at-risk band
/// of the shipped catalogues, 1 at the top (unsafe). Criteria the service computes from the
/// facility's profile are left to it.
struct LevelAnswers: Sendable {
  private var answers: [String: [DemoPlan.Level: [Safemap_Assessment_V1_Answer]]] = [:]

  static let shares: [DemoPlan.Level: Double] = [.safe: 0, .atRisk: 0.35, .unsafe: 1]

  init(catalogues: [Safemap_Assessment_V1_Catalogue]) {
    for catalogue in catalogues {
      let key = catalogue.kind == .dormitory ? "dormitory" : "workplace"
      for (level, share) in Self.shares {
        answers[key, default: [:]][level] = Self.answers(catalogue, share: share)
      }
    }
  }

  func answers(dormitory: Bool, level: DemoPlan.Level) -> [Safemap_Assessment_V1_Answer] {
    answers[dormitory ? "dormitory" : "workplace"]?[level] ?? []
  }

  static func answers(_ catalogue: Safemap_Assessment_V1_Catalogue, share: Double)
    -> [Safemap_Assessment_V1_Answer]
  {
    catalogue.criteria.filter { $0.profileSource == .unspecified }.compactMap { criterion in
      let options = criterion.options.filter { $0.knockOutMapLevel == .unspecified }
      guard let top = options.map(\.points).max() else { return nil }
      let target = share * Double(top)
      guard
        let chosen = options.min(by: {
          abs(Double($0.points) - target) < abs(Double($1.points) - target)
        })
      else { return nil }
      return .with {
        $0.criterionCode = criterion.code
        $0.optionCode = chosen.code
      }
    }
  }
}
