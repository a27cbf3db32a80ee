import Crypto
import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

extension ReportingService {
  /// R4/R5 and every other cut of the active facilities, ordered by facility id. The first page
  /// fixes the instant: later pages read the history as of it, so a list being paged while
  /// facilities submit shows no row twice and skips none.
  public func listFacilityStatuses(
    request: Safemap_Reporting_V1_ListFacilityStatusesRequest,
    context: ServerContext
  ) async throws -> Safemap_Reporting_V1_ListFacilityStatusesResponse {
    let principal = try RequestPrincipal.require()
    let list = try StatusList(principal, request.provinceCode, request.filter)
    let page = try Paging.Page<ListCursor>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let pageSize = page.size
    let requested = try ReportInstant.requested(
      request.hasAsOfTime ? request.asOfTime.date : nil
    )
    let cursor =
      try page.after?.continuing(list.fingerprint)
      ?? ListCursor(instant: requested.date, fingerprint: list.fingerprint)
    let instant = page.after == nil ? requested : .past(cursor.instant)
    let tenant = try Self.tenant(list.scope)
    // The first page also counts the list, in its two passes (``FacilityClasses``): every
    // facility on a second connection at once, the stopped ones after the page on the first,
    // so both connections take about as long. Neither holds its connection while waiting for
    // the other.
    let counting = cursor.total == nil
    async let listed: Int? =
      counting
      ? database.withTenantTransaction(tenant, cancellation: context.cancellation) {
        connection in
        try await list.count(at: instant, stopped: false, on: connection)
      } : nil
    let (rows, leaving) = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection in
      let rows = try await list.page(
        at: instant,
        after: cursor.lastFacility,
        limit: pageSize,
        on: connection
      )
      let leaving = counting ? try await list.count(at: instant, stopped: true, on: connection) : 0
      return (rows, leaving)
    }
    let total = try await listed.map { $0 - leaving } ?? cursor.total ?? 0
    var next = cursor
    next.total = total
    next.lastFacility = rows.last?.facilityID
    // A page of personal data (names, phones, usernames): who read which list, how much.
    await auditRead(
      principal,
      list,
      filter: request.filter,
      rows: rows.count,
      context: context
    )
    return .with {
      $0.rows = rows
      $0.totalSize = Int32(total)
      $0.nextPageToken = page.nextToken(after: next, count: rows.count)
    }
  }

  /// Every row of the list, streamed in pages of 500 read as of one instant; memory holds one
  /// page whatever the list's size, and the stream waits for the client (flow control).
  public func exportFacilityStatuses(
    request: Safemap_Reporting_V1_ExportFacilityStatusesRequest,
    response: RPCWriter<Safemap_Reporting_V1_ExportFacilityStatusesResponse>,
    context: ServerContext
  ) async throws {
    let principal = try RequestPrincipal.require()
    let list = try StatusList(principal, request.provinceCode, request.filter)
    let requested = try ReportInstant.requested(
      request.hasAsOfTime ? request.asOfTime.date : nil
    )
    let tenant = try Self.tenant(list.scope)
    var instant = requested
    var after: String?
    var written = 0
    do {
      repeat {
        let page = try await database.withTenantTransaction(
          tenant,
          cancellation: context.cancellation
        ) { [instant, after] connection in
          try await list.page(at: instant, after: after, limit: 500, on: connection)
        }
        for row in page {
          try await response.write(.with { $0.row = row })
          written += 1
        }
        after = page.count == 500 ? page.last?.facilityID : nil
        instant = .past(requested.date)
      } while after != nil
    } catch {
      await auditRead(
        principal,
        list,
        filter: request.filter,
        rows: written,
        context: context,
        interrupted: true
      )
      throw error
    }
    await auditRead(
      principal,
      list,
      filter: request.filter,
      rows: written,
      context: context
    )
  }

  /// Records who read a list of personal data, with its filter and how many rows went out.
  private func auditRead(
    _ principal: Principal,
    _ list: StatusList,
    filter: Safemap_Reporting_V1_FacilityStatusFilter,
    rows: Int,
    context: ServerContext,
    interrupted: Bool = false
  ) async {
    let described = (try? filter.jsonString()) ?? ""
    await auditRead(
      principal,
      province: list.scope.province,
      target: ("facility_status_list", list.scope.province ?? "national"),
      detail: "\(rows) rows\(interrupted ? " (interrupted)" : ""); filter \(described.prefix(300))",
      context: context
    )
  }

  /// Records a read of personal data in the caller's province (the ministry's in the province
  /// it read). Best effort: a read is not refused because its audit row could not be written,
  /// but it is logged.
  func auditRead(
    _ principal: Principal,
    province: String?,
    target: (type: String, id: String),
    detail: String,
    context: ServerContext
  ) async {
    let tenant = Audit.refusalTenant(actor: principal, requestedProvince: province)
    let action = context.descriptor.method
    let entry = AuditEntry(
      action: action,
      targetType: target.type,
      targetID: target.id,
      detail: detail
    )
    let address = context.clientAddress
    do {
      try await database.withTenantTransaction(tenant, cancellation: context.cancellation) {
        connection in
        try await Audit.record(
          entry,
          actor: principal,
          province: tenant.code,
          clientAddress: address,
          on: connection
        )
      }
    } catch {
      database.logger.warning(
        "read not audited",
        metadata: ["action": "\(action)", "error": "\(error)"]
      )
    }
  }
}
