public import GRPCCore
public import SafeMapAPI
import SafeMapCore
public import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

/// `safemap.account.v1.FacilityService`: the facility registry, zones, bulk issuance,
/// reference data and the audit log.
public struct FacilityService: Safemap_Account_V1_FacilityService.SimpleServiceProtocol {
  public let database: Database

  public init(database: Database) {
    self.database = database
  }

  public func registerFacility(
    request: Safemap_Account_V1_RegisterFacilityRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_RegisterFacilityResponse {
    throw RPCError.pendingIssue("RegisterFacility", issue: 3)
  }

  public func getFacility(
    request: Safemap_Account_V1_GetFacilityRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_GetFacilityResponse {
    throw RPCError.pendingIssue("GetFacility", issue: 3)
  }

  public func updateFacility(
    request: Safemap_Account_V1_UpdateFacilityRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_UpdateFacilityResponse {
    throw RPCError.pendingIssue("UpdateFacility", issue: 3)
  }

  public func listFacilities(
    request: Safemap_Account_V1_ListFacilitiesRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListFacilitiesResponse {
    throw RPCError.pendingIssue("ListFacilities", issue: 3)
  }

  public func setOperatingStatus(
    request: Safemap_Account_V1_SetOperatingStatusRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_SetOperatingStatusResponse {
    throw RPCError.pendingIssue("SetOperatingStatus", issue: 3)
  }

  public func issueFacilityAccounts(
    request: RPCAsyncSequence<Safemap_Account_V1_IssueFacilityAccountsRequest, any Error>,
    response: RPCWriter<Safemap_Account_V1_IssueFacilityAccountsResponse>,
    context: ServerContext
  ) async throws {
    throw RPCError.pendingIssue("IssueFacilityAccounts", issue: 3)
  }

  public func createZone(
    request: Safemap_Account_V1_CreateZoneRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_CreateZoneResponse {
    throw RPCError.pendingIssue("CreateZone", issue: 3)
  }

  public func listZones(
    request: Safemap_Account_V1_ListZonesRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListZonesResponse {
    throw RPCError.pendingIssue("ListZones", issue: 3)
  }

  public func listProvinces(
    request: Safemap_Account_V1_ListProvincesRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListProvincesResponse {
    let limit = try Paging.pageSize(request.pageSize)
    let after = try Paging.afterKey(request.pageToken)
    let provinces = try await database.withGlobalConnection(cancellation: context.cancellation) {
      connection in
      try await ReferenceQueries.provinces(after: after, limit: limit, on: connection)
    }
    return .with {
      $0.provinces = provinces
      $0.nextPageToken = Paging.nextToken(
        lastKey: provinces.last?.code, pageWasFull: provinces.count == limit)
    }
  }


  public func listDistricts(
    request: Safemap_Account_V1_ListDistrictsRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListDistrictsResponse {
    guard ProvinceCode.isWellFormed(request.provinceCode) else {
      throw RPCError(
        code: .invalidArgument, message: "province_code: must be a two-digit province code")
    }
    let limit = try Paging.pageSize(request.pageSize)
    let after = try Paging.afterKey(request.pageToken)
    let province = request.provinceCode
    let districts = try await database.withGlobalConnection(cancellation: context.cancellation) {
      connection in
      guard try await ReferenceQueries.provinceExists(province, on: connection) else {
        throw RPCError(code: .notFound, message: "province_code: no province \(province)")
      }
      return try await ReferenceQueries.districts(
        of: province, after: after, limit: limit, on: connection)
    }
    return .with {
      $0.districts = districts
      $0.nextPageToken = Paging.nextToken(
        lastKey: districts.last?.code, pageWasFull: districts.count == limit)
    }
  }


  public func listAuditEvents(
    request: Safemap_Account_V1_ListAuditEventsRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListAuditEventsResponse {
    throw RPCError.pendingIssue("ListAuditEvents", issue: 3)
  }
}
