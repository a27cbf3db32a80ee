import Foundation
public import GRPCCore
import PostgresNIO
public import SafeMapAPI
import SafeMapAuth
import SafeMapContract
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

/// `safemap.account.v1.NominationService`: units nominate operating facilities that have no
/// account, the province reviews them, and drives ask every unit to answer by a deadline.
/// Nominating and answering are in `NominationService+Nominate.swift`, the review and the list
/// in `NominationService+Review.swift`.
public struct NominationService: Safemap_Account_V1_NominationService.SimpleServiceProtocol {
  public let context: AccountContext

  public init(context: AccountContext) {
    self.context = context
  }

  var database: Database { context.database }

  public func createNominationDrive(
    request: Safemap_Account_V1_CreateNominationDriveRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_CreateNominationDriveResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.provinceCode) {
      let tenant = try Self.departmentTenant(
        principal,
        requested: request.provinceCode,
        doing: "runs nomination drives"
      )
      var violations = FieldViolations()
      let title = request.drive.title.trimmingCharacters(in: .whitespacesAndNewlines)
      violations.require(!title.isEmpty, "drive.title", "required")
      violations.require(title.count <= 300, "drive.title", "at most 300 characters")
      violations.require(
        request.drive.note.count <= UnitReport.maximumTextLength,
        "drive.note",
        "at most \(UnitReport.maximumTextLength) characters"
      )
      violations.require(request.drive.hasDeadline, "drive.deadline", "required")
      violations.require(request.requestID.count <= 100, "request_id", "at most 100 characters")
      guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
      let actor = try principal.actorID()
      let requestID = request.requestID.isEmpty ? nil : request.requestID
      let drive = request.drive
      return try await mutation.commit(in: tenant) {
        connection -> Audited<Safemap_Account_V1_CreateNominationDriveResponse> in
        if let requestID {
          let replayed = try await Self.drives(
            province: tenant.code,
            requestID: requestID,
            on: connection
          )
          if let drive = replayed.first { return .unchanged(.with { $0.drive = drive.message }) }
        }
        let id = UUID()
        try await connection.query(
          """
          INSERT INTO nomination_drives (province_code, drive_id, request_id, title, note,
            deadline, created_by)
          VALUES (\(tenant.code), \(id), \(requestID), \(title), \(drive.note),
            \(drive.deadline.date), \(actor))
          """,
          logger: connection.logger
        )
        let stored = try await Self.drives(province: tenant.code, id: id, on: connection)
        guard let stored = stored.first else {
          throw RPCError(code: .internalError, message: "drive not recorded")
        }
        return .changed(
          .with { $0.drive = stored.message },
          target: "nomination_drive",
          id: id.uuidString.lowercased(),
          detail: title
        )
      }
    }
  }

  public func listNominationDrives(
    request: Safemap_Account_V1_ListNominationDrivesRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListNominationDrivesResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try Self.readTenant(principal, requested: request.provinceCode)
    let page = try Paging.Page<Paging.TimeKey>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let drives = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection in
      try await Self.drives(province: tenant.code, page: page, on: connection)
    }
    return .with {
      $0.drives = drives.map(\.message)
      $0.nextPageToken = page.nextToken(after: drives.last?.key, count: drives.count)
    }
  }

  public func getNominationResponseRate(
    request: Safemap_Account_V1_GetNominationResponseRateRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_GetNominationResponseRateResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try Self.readTenant(principal, requested: request.provinceCode)
    let driveID = try Self.driveID(request.driveID, required: true)!
    let asOf = request.hasAsOfTime ? request.asOfTime.date : Date()
    return try await database.withConsistentRead(tenant, cancellation: context.cancellation) {
      connection in
      let drive = try await Self.requireDrive(driveID, province: tenant.code, on: connection)
      let units = try await DriveUnits.answers(
        drive: drive,
        asOf: asOf,
        on: connection
      )
      let own = AccessPolicy.unit(of: principal).map { ReportingUnit(kind: $0.kind, code: $0.code) }
      var response = Safemap_Account_V1_GetNominationResponseRateResponse()
      response.drive = drive.message
      response.asOfTime = Google_Protobuf_Timestamp(date: asOf)
      for answer in units {
        response.expected += 1
        switch answer.timeliness {
        case .onTime: response.onTime += 1
        case .late: response.late += 1
        default: response.missing += 1
        }
      }
      response.responded = response.onTime + response.late
      response.rate =
        response.expected == 0 ? 0 : Double(response.responded) / Double(response.expected)
      // A unit's officer sees the rate and its own row; the province sees every row.
      response.units = units.filter { own == nil || $0.unit == own }.map(\.message)
      return response
    }
  }

  /// The province department's own tenant, for what only it does (`doing` ends the refusal:
  /// "only the province department runs nomination drives").
  static func departmentTenant(_ principal: Principal, requested: String, doing: String) throws
    -> Tenant
  {
    guard AccessPolicy.mayReviewNominations(principal) else {
      throw RPCError(code: .permissionDenied, message: "only the province department \(doing)")
    }
    return try principal.tenant(forRequested: requested)
  }

  /// Reading drives and nominations: the ministry (naming a province), the province, a unit.
  static func readTenant(_ principal: Principal, requested: String) throws -> Tenant {
    guard AccessPolicy.mayReadNominations(principal) else {
      throw RPCError(code: .permissionDenied, message: "only officials read nominations")
    }
    return try principal.tenant(forRequested: requested)
  }

  /// A drive id from `drive_id`: nil when empty and not required.
  static func driveID(_ text: String, required: Bool) throws -> UUID? {
    if text.isEmpty && !required { return nil }
    guard let id = UUID(uuidString: text) else {
      throw RPCError(
        code: .invalidArgument,
        message: "drive_id: " + (text.isEmpty ? "required" : "not a valid id")
      )
    }
    return id
  }

  static func requireDrive(_ id: UUID, province: String, on connection: PostgresConnection)
    async throws -> DriveRecord
  {
    guard let drive = try await drives(province: province, id: id, on: connection).first else {
      throw RPCError(code: .notFound, message: "drive_id: no such drive")
    }
    return drive
  }

  /// Drives of `province`: one by id or request id, or a page, newest first.
  static func drives(
    province: String,
    id: UUID? = nil,
    requestID: String? = nil,
    page: Paging.Page<Paging.TimeKey>? = nil,
    on connection: PostgresConnection
  ) async throws -> [DriveRecord] {
    let rows = try await connection.query(
      """
      SELECT drive_id, province_code, title, note, deadline, created_by, created_at,
        \(unescaped: Paging.TimeKey.select("created_at"))
      FROM nomination_drives
      WHERE province_code = \(province)
        AND (\(id)::uuid IS NULL OR drive_id = \(id))
        AND (\(requestID)::text IS NULL OR request_id = \(requestID))
        AND \(before: page?.after, time: "created_at", id: "drive_id")
      ORDER BY created_at DESC, drive_id::text DESC LIMIT \(page?.size ?? 1)
      """,
      logger: connection.logger
    )
    var drives: [DriveRecord] = []
    for try await row in rows { drives.append(try DriveRecord(row)) }
    return drives
  }
}

/// A drive as stored in `nomination_drives`.
struct DriveRecord: Sendable {
  var id: UUID
  var province: String
  var deadline: Date
  var message: Safemap_Account_V1_NominationDrive
  var key: Paging.TimeKey

  init(_ row: PostgresRow) throws {
    let c = row.makeRandomAccess()
    id = try c["drive_id"].decode(UUID.self)
    province = try c["province_code"].decode(String.self)
    deadline = try c["deadline"].decode(Date.self)
    let title = try c["title"].decode(String.self)
    let note = try c["note"].decode(String.self)
    let createdBy = try c["created_by"].decode(UUID.self)
    let created = try c["created_at"].decode(Date.self)
    key = try Paging.TimeKey(row, id: id.uuidString.lowercased())
    message = .with { [id, province, deadline] in
      $0.driveID = id.uuidString.lowercased()
      $0.provinceCode = province
      $0.title = title
      $0.note = note
      $0.deadline = Google_Protobuf_Timestamp(date: deadline)
      $0.createdByAccountID = createdBy.uuidString.lowercased()
      $0.createTime = Google_Protobuf_Timestamp(date: created)
    }
  }
}
