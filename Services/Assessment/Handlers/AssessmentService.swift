public import GRPCCore
public import SafeMapAPI
public import SafeMapDatabase
import SafeMapRuntime

/// `safemap.assessment.v1.AssessmentService`: catalogues, self-assessment, scoring,
/// history, current status, inspections and province settings.
public struct AssessmentService: Safemap_Assessment_V1_AssessmentService.SimpleServiceProtocol {
  public let database: Database

  public init(database: Database) {
    self.database = database
  }

  public func getCatalogue(
    request: Safemap_Assessment_V1_GetCatalogueRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_GetCatalogueResponse {
    throw RPCError.pendingIssue("GetCatalogue", issue: 4)
  }

  public func listCatalogues(
    request: Safemap_Assessment_V1_ListCataloguesRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_ListCataloguesResponse {
    throw RPCError.pendingIssue("ListCatalogues", issue: 4)
  }

  public func importCatalogue(
    request: Safemap_Assessment_V1_ImportCatalogueRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_ImportCatalogueResponse {
    throw RPCError.pendingIssue("ImportCatalogue", issue: 4)
  }

  public func activateCatalogue(
    request: Safemap_Assessment_V1_ActivateCatalogueRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_ActivateCatalogueResponse {
    throw RPCError.pendingIssue("ActivateCatalogue", issue: 4)
  }

  public func submitAssessment(
    request: Safemap_Assessment_V1_SubmitAssessmentRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_SubmitAssessmentResponse {
    throw RPCError.pendingIssue("SubmitAssessment", issue: 4)
  }

  public func getAssessment(
    request: Safemap_Assessment_V1_GetAssessmentRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_GetAssessmentResponse {
    throw RPCError.pendingIssue("GetAssessment", issue: 4)
  }

  public func listAssessments(
    request: Safemap_Assessment_V1_ListAssessmentsRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_ListAssessmentsResponse {
    throw RPCError.pendingIssue("ListAssessments", issue: 4)
  }

  public func getFacilityStatus(
    request: Safemap_Assessment_V1_GetFacilityStatusRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_GetFacilityStatusResponse {
    throw RPCError.pendingIssue("GetFacilityStatus", issue: 4)
  }

  public func recordInspection(
    request: Safemap_Assessment_V1_RecordInspectionRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_RecordInspectionResponse {
    throw RPCError.pendingIssue("RecordInspection", issue: 4)
  }

  public func listInspections(
    request: Safemap_Assessment_V1_ListInspectionsRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_ListInspectionsResponse {
    throw RPCError.pendingIssue("ListInspections", issue: 4)
  }

  public func getProvinceSettings(
    request: Safemap_Assessment_V1_GetProvinceSettingsRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_GetProvinceSettingsResponse {
    throw RPCError.pendingIssue("GetProvinceSettings", issue: 4)
  }

  public func updateProvinceSettings(
    request: Safemap_Assessment_V1_UpdateProvinceSettingsRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_UpdateProvinceSettingsResponse {
    throw RPCError.pendingIssue("UpdateProvinceSettings", issue: 4)
  }
}
