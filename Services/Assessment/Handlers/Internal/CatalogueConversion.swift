import SafeMapAPI
import SafeMapContract
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
