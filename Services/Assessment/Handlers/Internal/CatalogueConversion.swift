import SafeMapAPI
import SafeMapCore

/// Between the catalogue as published (protobuf) and as scored (`ScoringCatalogue`).
extension ScoringCatalogue {
  init(_ catalogue: Safemap_Assessment_V1_Catalogue) {
    self.init(
      criteria: catalogue.criteria.map { criterion in
        Criterion(
          code: criterion.code,
          options: criterion.options.map { option in
            Option(
              code: option.code,
              points: Int(option.points),
              knockOut: MapLevel(option.knockOutMapLevel),
              rangeMin: option.hasRangeMin ? option.rangeMin : nil,
              rangeMax: option.hasRangeMax ? option.rangeMax : nil
            )
          },
          profileSource: ProfileSource(criterion.profileSource)
        )
      },
      thresholds: catalogue.thresholds.compactMap { threshold in
        RiskLevel(threshold.riskLevel).map { ($0, threshold.maxIndexPercent) }
      },
      mapping: Dictionary(
        catalogue.levelMapping.compactMap { entry in
          guard let risk = RiskLevel(entry.riskLevel), let map = MapLevel(entry.mapLevel) else {
            return nil
          }
          return (risk, map)
        },
        uniquingKeysWith: { first, _ in first }
      )
    )
  }
}

extension ScoringCatalogue.ProfileSource {
  init?(_ source: Safemap_Assessment_V1_ProfileSource) {
    switch source {
    case .workerCount: self = .workerCount
    case .areaPerWorker: self = .areaPerWorker
    case .dormitoryResidents: self = .dormitoryResidents
    default: return nil
    }
  }
}

extension RiskLevel {
  init?(_ level: Safemap_Common_V1_RiskLevel) {
    switch level {
    case .veryLow: self = .veryLow
    case .low: self = .low
    case .medium: self = .medium
    case .high: self = .high
    case .veryHigh: self = .veryHigh
    default: return nil
    }
  }

  var message: Safemap_Common_V1_RiskLevel {
    switch self {
    case .veryLow: return .veryLow
    case .low: return .low
    case .medium: return .medium
    case .high: return .high
    case .veryHigh: return .veryHigh
    }
  }
}

extension MapLevel {
  init?(_ level: Safemap_Common_V1_MapLevel) {
    switch level {
    case .safe: self = .safe
    case .atRisk: self = .atRisk
    case .unsafe: self = .unsafe
    default: return nil
    }
  }

  var message: Safemap_Common_V1_MapLevel {
    switch self {
    case .safe: return .safe
    case .atRisk: return .atRisk
    case .unsafe: return .unsafe
    }
  }
}

enum KindName {
  static func sql(_ kind: Safemap_Common_V1_AssessmentKind) -> String? {
    switch kind {
    case .workplace: return "WORKPLACE"
    case .dormitory: return "DORMITORY"
    default: return nil
    }
  }

  static func message(_ name: String) -> Safemap_Common_V1_AssessmentKind {
    name == "DORMITORY" ? .dormitory : name == "WORKPLACE" ? .workplace : .unspecified
  }
}
