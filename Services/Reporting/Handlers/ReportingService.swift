public import GRPCCore
public import SafeMapAPI
public import SafeMapDatabase
import SafeMapRuntime

/// `safemap.reporting.v1.ReportingService`: reports, lists, exports, the map layer,
/// campaigns and trends.
public struct ReportingService: Safemap_Reporting_V1_ReportingService.SimpleServiceProtocol {
  public let database: Database

  public init(database: Database) {
    self.database = database
  }

  public func getProvinceSummary(
    request: Safemap_Reporting_V1_GetProvinceSummaryRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetProvinceSummaryResponse {
    throw RPCError.pendingIssue("GetProvinceSummary")
  }

  public func getNationalSummary(
    request: Safemap_Reporting_V1_GetNationalSummaryRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetNationalSummaryResponse {
    throw RPCError.pendingIssue("GetNationalSummary")
  }

  public func listFacilityStatuses(
    request: Safemap_Reporting_V1_ListFacilityStatusesRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_ListFacilityStatusesResponse {
    throw RPCError.pendingIssue("ListFacilityStatuses")
  }

  public func exportFacilityStatuses(
    request: Safemap_Reporting_V1_ExportFacilityStatusesRequest,
    response: RPCWriter<Safemap_Reporting_V1_ExportFacilityStatusesResponse>,
    context: ServerContext
  ) async throws {
    throw RPCError.pendingIssue("ExportFacilityStatuses")
  }

  public func getMapLayer(
    request: Safemap_Reporting_V1_GetMapLayerRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetMapLayerResponse {
    throw RPCError.pendingIssue("GetMapLayer")
  }

  public func createCampaign(
    request: Safemap_Reporting_V1_CreateCampaignRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_CreateCampaignResponse {
    throw RPCError.pendingIssue("CreateCampaign")
  }

  public func listCampaigns(
    request: Safemap_Reporting_V1_ListCampaignsRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_ListCampaignsResponse {
    throw RPCError.pendingIssue("ListCampaigns")
  }

  public func getCampaignProgress(
    request: Safemap_Reporting_V1_GetCampaignProgressRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetCampaignProgressResponse {
    throw RPCError.pendingIssue("GetCampaignProgress")
  }

  public func getTrend(
    request: Safemap_Reporting_V1_GetTrendRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_GetTrendResponse {
    throw RPCError.pendingIssue("GetTrend")
  }
}
