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

/// `safemap.account.v1.CredentialService`: each district or zone board hands out its own
/// facilities' one-time passwords, once, and chases the ones not activated. A password exists
/// in clear only in the hand-out's response; SafeMap keeps its hash.
public struct CredentialService: Safemap_Account_V1_CredentialService.SimpleServiceProtocol {
  public let context: AccountContext

  public init(context: AccountContext) {
    self.context = context
  }

  var database: Database { context.database }

  /// The most facilities one hand-out covers (a district's sheet).
  static let maximumFacilities = 1_000

  public func listFacilityCredentials(
    request: Safemap_Account_V1_ListFacilityCredentialsRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_ListFacilityCredentialsResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try NominationService.readTenant(principal, requested: request.provinceCode)
    let unit = try NominationService.listedUnit(request.unit, principal: principal)
    let status = request.status == .unspecified ? nil : CredentialStatus(request.status)?.sql
    guard request.status == .unspecified || status != nil else {
      throw RPCError(code: .invalidArgument, message: "status: not a credential status")
    }
    guard !request.notActivated || status == nil else {
      throw RPCError(code: .invalidArgument, message: "not_activated: not with status")
    }
    let statuses =
      request.notActivated
      ? CredentialStatus.allCases.filter { $0 != .activated }.map(\.sql) : status.map { [$0] }
    let page = try Paging.Page<String>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let credentials = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection in
      try await CredentialRecord.list(
        province: tenant.code,
        unit: unit,
        statuses: statuses,
        after: page.after,
        limit: page.size,
        on: connection
      )
    }
    return .with {
      $0.credentials = credentials.map(\.message)
      $0.nextPageToken = page.nextToken(
        after: credentials.last?.message.taxCode,
        count: credentials.count
      )
    }
  }

  public func summarizeFacilityCredentials(
    request: Safemap_Account_V1_SummarizeFacilityCredentialsRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_SummarizeFacilityCredentialsResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try NominationService.readTenant(principal, requested: request.provinceCode)
    let own = AccessPolicy.unit(of: principal).map { ReportingUnit(kind: $0.kind, code: $0.code) }
    let units = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection in
      try await CredentialRecord.counts(province: tenant.code, on: connection)
    }
    return .with { $0.units = units.filter { own == nil || $0.unit == own }.map(\.message) }
  }

  public func handOutCredentials(
    request: Safemap_Account_V1_HandOutCredentialsRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_HandOutCredentialsResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.provinceCode) {
      guard principal.role != .ministryAdmin else {
        throw RPCError(
          code: .permissionDenied,
          message: "the ministry reads hand-outs; the facilities' own district, zone board or "
            + "province hands them out"
        )
      }
      let tenant = try principal.tenant(forRequested: request.provinceCode)
      guard let method = HandOutMethod(request.method), method != .issuerSheet else {
        throw RPCError(code: .invalidArgument, message: "method: SHEET or LETTER")
      }
      let ids = try RequestedIDs.parse(
        request.facilityIds,
        field: "facility_ids",
        maximum: Self.maximumFacilities
      )
      let reissue = request.reissue
      let actor = try principal.actorID()
      let lifetime = self.context.oneTimePasswordLifetime
      let handed = try await mutation.commit(in: tenant) {
        connection -> Audited<[Safemap_Account_V1_HandedOutCredential]> in
        let found = try await CredentialRecord.find(ids, province: tenant.code, on: connection)
        var missing: [String] = []
        var refused: [String] = []
        for (index, id) in ids.enumerated() {
          // Another unit's facility is not found: ids of other districts do not leak.
          guard let record = found[id],
            AccessPolicy.mayHandOutCredential(principal, record.place)
          else {
            missing.append("facility_ids[\(index)]")
            continue
          }
          if !record.status.mayHandOut(reissue: reissue) {
            refused.append(
              "facility_ids[\(index)]: \(record.message.taxCode) is \(record.status.sql)"
                + (reissue ? ", a reissue needs HANDED_OUT or EXPIRED" : "")
                + (!reissue && record.status != .activated
                  ? ", hand it out again with reissue" : "")
            )
          }
        }
        guard missing.isEmpty else {
          throw RPCError(
            code: .notFound,
            message: missing.joined(separator: ", ") + ": no such facility account in your unit"
          )
        }
        guard refused.isEmpty else {
          throw RPCError(code: .failedPrecondition, message: refused.joined(separator: "; "))
        }
        let passwords = ids.map { _ in Credentials.oneTimePassword() }
        let expiresAt = Date().addingTimeInterval(lifetime)
        try await connection.query(
          """
          UPDATE accounts a SET password_hash = u.hash, one_time_password_expires_at = \(expiresAt),
            handed_out_at = now(), handed_out_by = \(actor), hand_out_method = \(method.sql),
            updated_at = now()
          FROM unnest(\(ids), \(passwords.map(Credentials.oneTimePasswordHash))) AS u(id, hash)
          WHERE a.province_code = \(tenant.code) AND a.role = 'FACILITY' AND a.facility_id = u.id
          """,
          logger: connection.logger
        )
        // One audit row per facility: who got which facility's password, how.
        try await mutation.record(
          targets: ids.map {
            ("facility", $0.uuidString.lowercased(), method.sql + (reissue ? " reissued" : ""))
          },
          in: tenant,
          on: connection
        )
        let updated = try await CredentialRecord.find(ids, province: tenant.code, on: connection)
        let handed = zip(ids, passwords).map { id, password in
          Safemap_Account_V1_HandedOutCredential.with {
            $0.credential = updated[id]?.message ?? .init()
            $0.oneTimePassword = password
          }
        }
        return .unchanged(handed)  // the rows above are its audit
      }
      return .with { $0.credentials = handed }
    }
  }
}
