import Foundation
import GRPCCore
import NIOCore
import PostgresNIO
import SafeMapAPI
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

/// Issuing the province's approved nominations as one batch: the same stream, chunks and
/// results as a sheet's rows, the rows read from `nominations` instead of the client.
extension FacilityService {
  /// The approved nominations the options ask for, as issuance rows; nil for a batch of rows.
  func approvedNominations(
    _ options: Safemap_Account_V1_IssuanceBatchOptions,
    tenant: Tenant,
    pending: [Safemap_Account_V1_IssueFacilityAccountsRequest],
    buffer: RowBuffer<Safemap_Account_V1_IssueFacilityAccountsRequest>,
    context: ServerContext
  ) async throws -> IssuedNominations? {
    guard options.approvedNominations else {
      guard options.nominationDriveID.isEmpty else {
        throw RPCError(
          code: .invalidArgument,
          message: "options.nomination_drive_id: only with options.approved_nominations"
        )
      }
      return nil
    }
    let drive = try NominationService.driveID(options.nominationDriveID, required: false)
    guard pending.isEmpty, try await buffer.next(limit: 1) == nil else {
      throw RPCError(
        code: .invalidArgument,
        message: "row: no row may follow options.approved_nominations"
      )
    }
    let limit = self.context.issuanceMaximumRows
    let found = try await database.withTenantTransaction(tenant, cancellation: context.cancellation)
    { connection in
      let rows = try await connection.query(
        """
        SELECT nomination_id, facility FROM nominations
        WHERE province_code = \(tenant.code) AND state = 'APPROVED'
          AND (\(drive)::uuid IS NULL OR drive_id = \(drive))
        ORDER BY created_at, nomination_id LIMIT \(limit)
        """,
        logger: connection.logger
      )
      var found: [(UUID, Safemap_Account_V1_Facility)] = []
      for try await (id, bytes) in rows.decode((UUID, ByteBuffer).self) {
        var facility = try Safemap_Account_V1_Facility(
          serializedBytes: Array(bytes.readableBytesView)
        )
        facility.provinceCode = tenant.code
        found.append((id, facility))
      }
      return found
    }
    guard !found.isEmpty else {
      throw RPCError(
        code: .failedPrecondition,
        message: "options.approved_nominations: no approved nomination waits for issuance"
      )
    }
    return IssuedNominations(tenant: tenant, found: found)
  }
}

/// Approved nominations being issued: row number `n` is `ids[n - 1]`.
struct IssuedNominations: Sendable {
  let tenant: Tenant
  let ids: [UUID]
  let rows: [Safemap_Account_V1_IssueFacilityAccountsRequest]

  init(tenant: Tenant, found: [(UUID, Safemap_Account_V1_Facility)]) {
    self.tenant = tenant
    ids = found.map(\.0)
    rows = found.enumerated().map { index, entry in
      .with {
        $0.row = .with {
          $0.rowNumber = Int32(index + 1)
          $0.facility = entry.1
        }
      }
    }
  }

  /// Marks the nominations whose rows got an account (new or already there) as issued, after
  /// their chunk committed. Running the batch again after a crash in between issues nothing
  /// twice: the rows come back ALREADY_ISSUED and are marked then.
  func markIssued(
    _ results: [Safemap_Account_V1_IssuanceResult],
    batch: UUID,
    database: Database,
    context: ServerContext
  ) async throws {
    var nominations: [UUID] = []
    var facilities: [UUID] = []
    for result in results where result.outcome == .issued || result.outcome == .alreadyIssued {
      let index = Int(result.rowNumber) - 1
      guard ids.indices.contains(index), let facility = UUID(uuidString: result.facilityID)
      else { continue }
      nominations.append(ids[index])
      facilities.append(facility)
    }
    guard !nominations.isEmpty else { return }
    let ids = nominations
    let accounts = facilities
    try await database.withTenantTransaction(tenant, cancellation: context.cancellation) {
      connection in
      try await connection.query(
        """
        UPDATE nominations n SET state = 'ISSUED', facility_id = u.facility, batch_id = \(batch),
          updated_at = now()
        FROM unnest(\(ids), \(accounts)) AS u(id, facility)
        WHERE n.province_code = \(tenant.code) AND n.nomination_id = u.id AND n.state = 'APPROVED'
        """,
        logger: connection.logger
      )
    }
  }
}
