import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

extension FacilityService {
  /// Bulk issuance (DESIGN.md §2 step 1). The first message carries the batch options, every
  /// later one a row. Rows that have arrived are issued together, a chunk per transaction
  /// (`IssuanceChunk`), and their results are written only after it commits, so an
  /// acknowledged credential is durable. A bad row gets its own error and the batch goes on; the
  /// facility's identity is province + tax code and a facility holds at most one account, so
  /// re-sending rows creates nothing twice.
  public func issueFacilityAccounts(
    request: RPCAsyncSequence<Safemap_Account_V1_IssueFacilityAccountsRequest, any Error>,
    response: RPCWriter<Safemap_Account_V1_IssueFacilityAccountsResponse>,
    context: ServerContext
  ) async throws {
    let principal = try RequestPrincipal.require()
    try FacilityScope.requireAdministrator(principal)
    let buffer = RowBuffer<Safemap_Account_V1_IssueFacilityAccountsRequest>()
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        do {
          for try await message in request { buffer.append(message) }
          buffer.finish()
        } catch {
          buffer.finish(throwing: error)
        }
      }
      defer { group.cancelAll() }
      try await issue(from: buffer, principal: principal, response: response, context: context)
    }
  }

  static let chunkSize = 500

  private func issue(
    from buffer: RowBuffer<Safemap_Account_V1_IssueFacilityAccountsRequest>,
    principal: Principal,
    response: RPCWriter<Safemap_Account_V1_IssueFacilityAccountsResponse>,
    context: ServerContext
  ) async throws {
    guard var pending = try await buffer.next(limit: Self.chunkSize), !pending.isEmpty,
      case .options(let options) = pending.removeFirst().item
    else {
      throw RPCError(code: .invalidArgument, message: "options: the first message must carry the batch options")
    }
    let tenant = try principal.tenant(forRequested: options.provinceCode, field: "options.province_code")
    guard let actorID = UUID(uuidString: principal.accountID) else {
      throw RPCError(code: .permissionDenied, message: "token subject is not an account")
    }
    let database = self.database
    let address = context.clientAddress
    let requestID = options.requestID.isEmpty ? nil : options.requestID
    let note = String(options.note.prefix(500))
    let (batchID, initialReferences) = try await database.withTenantTransaction(
      tenant, cancellation: context.cancellation
    ) { connection -> (UUID, IssuanceChunk.References) in
      let rows = try await connection.query(
        """
        INSERT INTO issuance_batches (province_code, batch_id, request_id, issued_by, note)
        VALUES (\(tenant.code), \(UUID()), \(requestID), \(actorID), \(note))
        ON CONFLICT (province_code, request_id) DO UPDATE SET completed_at = NULL
        RETURNING batch_id
        """, logger: connection.logger)
      var batch: UUID?
      for try await id in rows.decode(UUID.self) { batch = id }
      guard let batch else { throw RPCError(code: .internalError, message: "batch not recorded") }
      return (batch, try await IssuanceChunk.References.load(province: tenant.code, on: connection))
    }
    var references = initialReferences
    let batch = batchID.uuidString.lowercased()
    var counts = (issued: 0, already: 0, rejected: 0)

    while true {
      let messages: [Safemap_Account_V1_IssueFacilityAccountsRequest]
      if !pending.isEmpty {
        messages = pending
        pending = []
      } else if let next = try await buffer.next(limit: Self.chunkSize) {
        messages = next
      } else {
        break
      }
      var rows: [Safemap_Account_V1_IssuanceRow] = []
      for message in messages {
        guard case .row(var row) = message.item else {
          throw RPCError(code: .invalidArgument, message: "options: only the first message may carry options")
        }
        row.facility.provinceCode = tenant.code
        rows.append(row)
      }
      // A zone created during the batch: reload the province's zones once for this chunk.
      if rows.contains(where: { UUID(uuidString: $0.facility.zoneID).map { !references.zones.contains($0) } ?? false }) {
        references = try await database.withTenantTransaction(tenant, cancellation: context.cancellation) {
        connection in
          try await IssuanceChunk.References.load(province: tenant.code, on: connection)
        }
      }
      let results = try await issueChunk(
        rows, tenant: tenant, references: references, principal: principal, actorID: actorID,
        address: address, context: context)
      for result in results {
        switch result.outcome {
        case .issued: counts.issued += 1
        case .alreadyIssued: counts.already += 1
        default: counts.rejected += 1
        }
        try await response.write(.with {
          $0.batchID = batch
          $0.result = result
        })
      }
    }

    let finalCounts = counts
    let summary = try await database.withTenantTransaction(tenant, cancellation: context.cancellation) {
        connection in
      let rows = try await connection.query(
        """
        UPDATE issuance_batches SET completed_at = now(),
          issued_count = issued_count + \(finalCounts.issued),
          already_issued_count = already_issued_count + \(finalCounts.already),
          rejected_count = rejected_count + \(finalCounts.rejected)
        WHERE batch_id = \(batchID)
        RETURNING issued_count, already_issued_count, rejected_count, note, issued_by, created_at,
          completed_at
        """, logger: connection.logger)
      var summary = Safemap_Account_V1_IssuanceBatch()
      for try await (issued, already, rejected, note, by, created, completed) in rows.decode(
        (Int32, Int32, Int32, String, UUID, Date, Date).self)
      {
        summary = .with {
          $0.batchID = batch
          $0.provinceCode = tenant.code
          $0.issuedByAccountID = by.uuidString.lowercased()
          $0.note = note
          $0.issuedCount = issued
          $0.alreadyIssuedCount = already
          $0.rejectedCount = rejected
          $0.createTime = Google_Protobuf_Timestamp(date: created)
          $0.completeTime = Google_Protobuf_Timestamp(date: completed)
        }
      }
      try await Audit.record(
        AuditEntry(action: "IssueFacilityAccounts", targetType: "batch", targetID: batch,
                   detail: "issued \(finalCounts.issued), already \(finalCounts.already), rejected \(finalCounts.rejected)"),
        actor: principal, province: tenant.code, clientAddress: address, on: connection)
      return summary
    }
    try await response.write(.with {
      $0.batchID = batch
      $0.summary = summary
    })
  }

  /// Results for a chunk, in row order: invalid rows rejected in memory, the rest issued
  /// set-based, or row by row if a concurrent writer caused a conflict. A tax code repeated
  /// within the chunk is issued once and reported as already issued after that.
  private func issueChunk(
    _ rows: [Safemap_Account_V1_IssuanceRow], tenant: Tenant,
    references: IssuanceChunk.References, principal: Principal, actorID: UUID,
    address: String, context: ServerContext
  ) async throws -> [Safemap_Account_V1_IssuanceResult] {
    var results = [Safemap_Account_V1_IssuanceResult?](repeating: nil, count: rows.count)
    var valid: [Safemap_Account_V1_IssuanceRow] = []
    var validIndex: [Int] = []
    var repeats: [Int] = []
    var firstIndex: [String: Int] = [:]
    for (index, row) in rows.enumerated() {
      var violations = FacilityInput.violations(row.facility, prefix: "facility.")
      if violations.isEmpty { violations = references.violations(row.facility, province: tenant.code) }
      if !violations.isEmpty {
        results[index] = .with {
          $0.rowNumber = row.rowNumber
          $0.outcome = .rejected
          $0.violations = violations.messages
        }
      } else if firstIndex[row.facility.taxCode] == nil {
        firstIndex[row.facility.taxCode] = index
        valid.append(row)
        validIndex.append(index)
      } else {
        repeats.append(index)
      }
    }
    if !valid.isEmpty {
      let lifetime = self.context.oneTimePasswordLifetime
      let chunk = valid
      let issued: [Safemap_Account_V1_IssuanceResult]
      do {
        issued = try await database.withTenantTransaction(tenant, cancellation: context.cancellation) {
          connection in
          try await IssuanceChunk.issue(
            chunk, province: tenant.code, actor: actorID, oneTimePasswordLifetime: lifetime,
            on: connection)
        }
      } catch is IssuanceChunk.Conflict {
        var oneByOne: [Safemap_Account_V1_IssuanceResult] = []
        for row in valid {
          oneByOne.append(try await issueRow(
            row, tenant: tenant, principal: principal, address: address, lifetime: lifetime,
            context: context))
        }
        issued = oneByOne
      }
      for (index, result) in zip(validIndex, issued) { results[index] = result }
    }
    for index in repeats {
      let first = firstIndex[rows[index].facility.taxCode].flatMap { results[$0] }
      results[index] = .with {
        $0.rowNumber = rows[index].rowNumber
        $0.outcome = .alreadyIssued
        $0.facilityID = first?.facilityID ?? ""
        $0.username = first?.username ?? ""
      }
    }
    return results.map { $0! }
  }

  /// One row in its own transaction.
  private func issueRow(
    _ row: Safemap_Account_V1_IssuanceRow, tenant: Tenant, principal: Principal,
    address: String, lifetime: TimeInterval, context: ServerContext
  ) async throws -> Safemap_Account_V1_IssuanceResult {
    var result = Safemap_Account_V1_IssuanceResult()
    result.rowNumber = row.rowNumber
    var input = row.facility
    input.provinceCode = tenant.code
    let facility = input
    let violations = FacilityInput.violations(facility, prefix: "facility.")
    guard violations.isEmpty else {
      result.outcome = .rejected
      result.violations = violations.messages
      return result
    }
    let password = Credentials.oneTimePassword()
    let expiresAt = Date().addingTimeInterval(lifetime)
    let actorID = UUID(uuidString: principal.accountID)
    enum Outcome: Sendable {
      case issued(facility: UUID, username: String)
      case already(facility: UUID, username: String)
      case rejected(FieldViolations)
    }
    let outcome = try await database.withTenantTransaction(tenant, cancellation: context.cancellation) {
      connection -> Outcome in
      let facilityID: UUID
      if let existing = try await FacilityRecord.find(taxCode: facility.taxCode, on: connection) {
        facilityID = UUID(uuidString: existing.message.facilityID)!
        if !existing.message.username.isEmpty {
          return .already(facility: facilityID, username: existing.message.username)
        }
      } else {
        let reference = try await FacilityInput.referenceViolations(
          facility, province: tenant.code, prefix: "facility.", on: connection)
        guard reference.isEmpty else { return .rejected(reference) }
        facilityID = try await FacilityRecord.insert(
          facility, province: tenant.code, requestID: nil, registeredBy: actorID,
          reason: "registered by bulk issuance", on: connection)
      }
      // The tax code is the username; a branch registered in two provinces gets the
      // province appended in the second one.
      var username = facility.taxCode
      if try await AccountRecord.locate(username: username, on: connection) != nil {
        username = "\(facility.taxCode).\(tenant.code)"
      }
      let account = AccountRecord(
        provinceCode: tenant.code, accountID: UUID(), username: username, role: .facility,
        districtCode: nil, zoneID: nil, facilityID: facilityID, displayName: facility.name,
        email: facility.contactEmail, phone: facility.contactPhone,
        passwordHash: Credentials.oneTimePasswordHash(password),
        oneTimePasswordExpiresAt: expiresAt, disabled: false, createdAt: Date(),
        updatedAt: Date(), lastLoginAt: nil)
      try await AccountRecord.insert(account, requestID: nil, createdBy: actorID, on: connection)
      return .issued(facility: facilityID, username: username)
    }
    switch outcome {
    case .issued(let facilityID, let username):
      result.outcome = .issued
      result.facilityID = facilityID.uuidString.lowercased()
      result.username = username
      result.initialPassword = password
      result.initialPasswordExpireTime = Google_Protobuf_Timestamp(date: expiresAt)
    case .already(let facilityID, let username):
      result.outcome = .alreadyIssued
      result.facilityID = facilityID.uuidString.lowercased()
      result.username = username
    case .rejected(let violations):
      result.outcome = .rejected
      result.violations = violations.messages
    }
    return result
  }
}
