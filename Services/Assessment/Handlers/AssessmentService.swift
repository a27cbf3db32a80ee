public import GRPCCore
public import SafeMapAPI
public import SafeMapDatabase
import SafeMapRuntime

/// `safemap.assessment.v1.AssessmentService`: catalogues, self-assessment, scoring,
/// history, current status, inspections and province settings. Catalogues are in
/// `AssessmentService+Catalogues.swift`.
public struct AssessmentService: Safemap_Assessment_V1_AssessmentService.SimpleServiceProtocol {
  public let database: Database
  public let facilities: any FacilityProfiles
  let catalogues = CatalogueCache()

  public init(database: Database, facilities: any FacilityProfiles) {
    self.database = database
    self.facilities = facilities
  }

}
