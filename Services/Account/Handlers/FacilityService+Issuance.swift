import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapContract
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

extension FacilityService {
  /// Bulk issuance (docs/domain.md). The first message carries the batch options, every
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
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    try await mutation.run(province: nil) {
      try FacilityScope.requireAdministrator(principal)
      // Reading stops while a chunk is being written: the buffer holds one chunk at most.
      let buffer = RowBuffer<Safemap_Account_V1_IssueFacilityAccountsRequest>(
        capacity: Self.chunkSize
      )
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
          do {
            for try await message in request {
              guard await buffer.append(message) else { break }
            }
            buffer.finish()
          } catch {
            buffer.finish(throwing: error)
          }
        }
        defer {
          buffer.finish()
          group.cancelAll()
        }
        try await issue(from: buffer, mutation: mutation, response: response, context: context)
      }
    }
  }

  static let chunkSize = 500

  /// What one batch has done so far.
  struct BatchCounts: Sendable {
    var issued = 0
    var already = 0
    var rejected = 0
    var rows: Int { issued + already + rejected }

    mutating func count(_ results: [Safemap_Account_V1_IssuanceResult]) {
      for result in results {
        switch result.outcome {
        case .issued: issued += 1
        case .alreadyIssued: already += 1
        default: rejected += 1
        }
      }
    }

    var text: String { "issued \(issued), already issued \(already), rejected \(rejected)" }
  }

  private func issue(
    from buffer: RowBuffer<Safemap_Account_V1_IssueFacilityAccountsRequest>,
    mutation: AuditedMutation,
    response: RPCWriter<Safemap_Account_V1_IssueFacilityAccountsResponse>,
    context: ServerContext
  ) async throws {
    let principal = mutation.principal
    guard var pending = try await buffer.next(limit: Self.chunkSize), !pending.isEmpty,
      case .options(let options) = pending.removeFirst().item
    else {
      throw RPCError(
        code: .invalidArgument,
        message: "options: the first message must carry the batch options"
      )
    }
    let tenant = try principal.tenant(
      forRequested: options.provinceCode,
      field: "options.province_code"
    )
    guard let actorID = UUID(uuidString: principal.accountID) else {
      throw RPCError(code: .permissionDenied, message: "token subject is not an account")
    }
    let database = self.database
    let requestID = options.requestID.isEmpty ? nil : options.requestID
    let note = options.note
    let handOut = options.credentialDelivery != .issuerSheet
    let delivery = handOut ? "HAND_OUT" : HandOutMethod.issuerSheet.sql
    let nominations = try await approvedNominations(
      options,
      tenant: tenant,
      pending: pending,
      buffer: buffer,
      context: context
    )
    if let nominations { pending = nominations.rows }
    let maximumRows = self.context.issuanceMaximumRows
    let (batchID, initialReferences) = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection -> (UUID, IssuanceChunk.References) in
      let rows = try await connection.query(
        """
        INSERT INTO issuance_batches (province_code, batch_id, request_id, issued_by, note,
          credential_delivery)
        VALUES (\(tenant.code), \(UUID()), \(requestID), \(actorID), \(note), \(delivery))
        ON CONFLICT (province_code, request_id) DO UPDATE SET completed_at = NULL
        RETURNING batch_id
        """,
        logger: connection.logger
      )
      var batch: UUID?
      for try await id in rows.decode(UUID.self) { batch = id }
      guard let batch else { throw RPCError(code: .internalError, message: "batch not recorded") }
      return (batch, try await IssuanceChunk.References.load(province: tenant.code, on: connection))
    }
    var references = initialReferences
    let batch = batchID.uuidString.lowercased()
    var counts = BatchCounts()
    let batchContext = IssuanceBatchContext(
      tenant: tenant,
      batchID: batchID,
      mutation: mutation,
      actorID: actorID,
      handOut: handOut
    )

    while true {
      var messages: [Safemap_Account_V1_IssueFacilityAccountsRequest]
      if !pending.isEmpty {
        messages = Array(pending.prefix(Self.chunkSize))
        pending.removeFirst(messages.count)
      } else if let next = try await buffer.next(limit: Self.chunkSize) {
        messages = next
      } else {
        break
      }
      // A batch has a maximum row count: the rows before it are answered, then the call ends.
      let room = maximumRows - counts.rows
      let overLimit = messages.count > room
      if overLimit { messages = Array(messages.prefix(room)) }
      var rows: [Safemap_Account_V1_IssuanceRow] = []
      for message in messages {
        guard case .row(var row) = message.item else {
          throw RPCError(
            code: .invalidArgument,
            message: "options: only the first message may carry options"
          )
        }
        row.facility.provinceCode = tenant.code
        rows.append(row)
      }
      // A zone created during the batch: reload the province's zones once for this chunk.
      if rows.contains(where: {
        UUID(uuidString: $0.facility.zoneID).map { !references.zones.contains($0) } ?? false
      }) {
        references = try await database.withTenantTransaction(
          tenant,
          cancellation: context.cancellation
        ) { connection in
          try await IssuanceChunk.References.load(province: tenant.code, on: connection)
        }
      }
      if !rows.isEmpty {
        let results = try await issueChunk(
          rows,
          batch: batchContext,
          references: references,
          context: context
        )
        counts.count(results)
        if let nominations {
          try await nominations.markIssued(
            results,
            batch: batchID,
            database: database,
            context: context
          )
        }
        for result in results {
          try await response.write(
            .with {
              $0.batchID = batch
              $0.result = result
            }
          )
        }
      }
      if overLimit {
        throw RPCError(
          code: .resourceExhausted,
          message: "a batch holds at most \(maximumRows) rows; rows after row \(maximumRows) were "
            + "not read: send them as another batch"
        )
      }
    }

    let finalCounts = counts
    let summary = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) { connection in
      let rows = try await connection.query(
        """
        UPDATE issuance_batches SET completed_at = now()
        WHERE province_code = \(tenant.code) AND batch_id = \(batchID)
        RETURNING issued_count, already_issued_count, rejected_count, note, issued_by, created_at,
          completed_at
        """,
        logger: connection.logger
      )
      var summary = Safemap_Account_V1_IssuanceBatch()
      for try await (issued, already, rejected, note, by, created, completed) in rows.decode(
        (Int32, Int32, Int32, String, UUID, Date, Date).self
      ) {
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
      try await mutation.record(
        target: "batch",
        id: batch,
        detail: "completed: \(finalCounts.text)",
        in: tenant,
        on: connection
      )
      return summary
    }
    try await response.write(
      .with {
        $0.batchID = batch
        $0.summary = summary
      }
    )
  }

  /// Results for a chunk, in row order: invalid rows rejected in memory, the rest issued
  /// set-based, or row by row if a concurrent writer caused a conflict. A tax code repeated
  /// within the chunk is issued once and reported as already issued after that. The chunk's
  /// counts and an audit row commit with it, so a stream broken off halfway leaves a trail.
  private func issueChunk(
    _ rows: [Safemap_Account_V1_IssuanceRow],
    batch: IssuanceBatchContext,
    references: IssuanceChunk.References,
    context: ServerContext
  ) async throws -> [Safemap_Account_V1_IssuanceResult] {
    let tenant = batch.tenant
    var results = [Safemap_Account_V1_IssuanceResult?](repeating: nil, count: rows.count)
    var valid: [Safemap_Account_V1_IssuanceRow] = []
    var validIndex: [Int] = []
    var repeats: [Int] = []
    var firstIndex: [String: Int] = [:]
    for (index, row) in rows.enumerated() {
      var violations = FacilityInput.violations(row.facility, prefix: "facility.")
      if violations.isEmpty {
        violations = references.violations(row.facility, province: tenant.code)
      }
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
    let lifetime = self.context.oneTimePasswordLifetime
    let chunk = valid
    // The chunk's own transaction also records its counts and an audit row.
    let span = "rows \(rows.first?.rowNumber ?? 0)–\(rows.last?.rowNumber ?? 0)"
    let counted = BatchCounts(already: repeats.count, rejected: results.compactMap { $0 }.count)
    var issued: [Safemap_Account_V1_IssuanceResult]? = nil
    do {
      issued = try await database.withTenantTransaction(tenant, cancellation: context.cancellation)
      {
        connection in
        let issued =
          chunk.isEmpty
          ? []
          : try await IssuanceChunk.issue(
            chunk,
            province: tenant.code,
            actor: batch.actorID,
            oneTimePasswordLifetime: lifetime,
            handOut: batch.handOut,
            on: connection
          )
        var counts = counted
        counts.count(issued)
        try await batch.record(counts, detail: "\(span): \(counts.text)", on: connection)
        return issued
      }
    } catch let error as RPCError where IssuanceChunk.isConflict(error) {
      // Another batch issued some of these facilities at the same moment: one row at a time,
      // each in its own transaction, sees what that batch committed.
      var oneByOne: [Safemap_Account_V1_IssuanceResult] = []
      for row in valid {
        oneByOne.append(try await issueRow(row, batch: batch, lifetime: lifetime, context: context))
      }
      issued = oneByOne
      // The rows issued one by one counted themselves; the chunk's rejected and repeated
      // rows are counted here.
      try await database.withTenantTransaction(tenant, cancellation: context.cancellation) {
        connection in
        try await batch.record(
          counted,
          detail: "\(span), one by one after a concurrent batch: \(counted.text) more",
          on: connection
        )
      }
    }
    for (index, result) in zip(validIndex, issued ?? []) { results[index] = result }
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

  /// One row in its own transaction (with its count and audit row), retried when a concurrent
  /// batch commits the same facility in between; a row that still cannot be issued is
  /// REJECTED with the reason, and the batch goes on.
  private func issueRow(
    _ row: Safemap_Account_V1_IssuanceRow,
    batch: IssuanceBatchContext,
    lifetime: TimeInterval,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_IssuanceResult {
    var lastConflict = ""
    for _ in 0..<3 {
      do {
        return try await issueRowOnce(row, batch: batch, lifetime: lifetime, context: context)
      } catch let error as RPCError where IssuanceChunk.isConflict(error) {
        lastConflict = error.message
      }
    }
    return .with {
      $0.rowNumber = row.rowNumber
      $0.outcome = .rejected
      var violations = FieldViolations()
      violations.add(
        "facility.tax_code",
        "changed concurrently (\(lastConflict)); send the row again"
      )
      $0.violations = violations.messages
    }
  }

  private func issueRowOnce(
    _ row: Safemap_Account_V1_IssuanceRow,
    batch: IssuanceBatchContext,
    lifetime: TimeInterval,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_IssuanceResult {
    let tenant = batch.tenant
    var result = Safemap_Account_V1_IssuanceResult()
    result.rowNumber = row.rowNumber
    var input = row.facility
    input.provinceCode = tenant.code
    let facility = input
    let password = Credentials.oneTimePassword()
    let expiresAt = Date().addingTimeInterval(lifetime)
    let actorID = batch.actorID
    enum Outcome: Sendable {
      case issued(facility: UUID, username: String)
      case already(facility: UUID, username: String)
      case rejected(FieldViolations)
    }
    let outcome = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) {
      connection -> Outcome in
      let facilityID: UUID
      if let existing = try await FacilityRecord.find(
        taxCode: facility.taxCode,
        province: tenant.code,
        on: connection
      ) {
        facilityID = UUID(uuidString: existing.message.facilityID)!
        if !existing.message.username.isEmpty {
          try await batch.record(
            BatchCounts(already: 1),
            detail: "row \(row.rowNumber): already issued",
            on: connection
          )
          return .already(facility: facilityID, username: existing.message.username)
        }
      } else {
        let reference = try await FacilityInput.referenceViolations(
          facility,
          province: tenant.code,
          prefix: "facility.",
          on: connection
        )
        guard reference.isEmpty else { return .rejected(reference) }
        facilityID = try await FacilityRecord.insert(
          facility,
          province: tenant.code,
          requestID: nil,
          registeredBy: actorID,
          reason: "registered by bulk issuance",
          on: connection
        )
      }
      // The tax code is the username; a branch registered in two provinces gets the
      // province appended in the second one. Both taken: the row cannot be issued here.
      let candidates = [facility.taxCode, "\(facility.taxCode).\(tenant.code)"]
      var username: String?
      for candidate in candidates
      where try await AccountRecord.locate(username: candidate, on: connection) == nil {
        username = candidate
        break
      }
      guard let username else {
        var violations = FieldViolations()
        violations.add(
          "facility.tax_code",
          "the usernames \(candidates.joined(separator: " and ")) are already taken by other accounts"
        )
        return .rejected(violations)
      }
      let account = AccountRecord(
        provinceCode: tenant.code,
        accountID: UUID(),
        username: username,
        role: .facility,
        districtCode: nil,
        zoneID: nil,
        facilityID: facilityID,
        displayName: facility.name,
        email: facility.contactEmail,
        phone: facility.contactPhone,
        passwordHash: Credentials.oneTimePasswordHash(password),
        oneTimePasswordExpiresAt: expiresAt,
        disabled: false,
        createdAt: Date(),
        updatedAt: Date(),
        lastLoginAt: nil
      )
      try await AccountRecord.insert(account, requestID: nil, createdBy: actorID, on: connection)
      if !batch.handOut {
        try await connection.query(
          """
          UPDATE accounts SET handed_out_at = now(), handed_out_by = \(actorID),
            hand_out_method = \(HandOutMethod.issuerSheet.sql)
          WHERE province_code = \(tenant.code) AND account_id = \(account.accountID)
          """,
          logger: connection.logger
        )
      }
      try await batch.record(
        BatchCounts(issued: 1),
        detail: "row \(row.rowNumber): issued",
        on: connection
      )
      return .issued(facility: facilityID, username: username)
    }
    switch outcome {
    case .issued(let facilityID, let username):
      result.outcome = .issued
      result.facilityID = facilityID.uuidString.lowercased()
      result.username = username
      if !batch.handOut {
        result.initialPassword = password
        result.initialPasswordExpireTime = Google_Protobuf_Timestamp(date: expiresAt)
      }
    case .already(let facilityID, let username):
      result.outcome = .alreadyIssued
      result.facilityID = facilityID.uuidString.lowercased()
      result.username = username
    case .rejected(let violations):
      result.outcome = .rejected
      result.violations = violations.messages
      try await database.withTenantTransaction(tenant, cancellation: context.cancellation) {
        connection in
        try await batch.record(
          BatchCounts(rejected: 1),
          detail: "row \(row.rowNumber): rejected",
          on: connection
        )
      }
    }
    return result
  }
}

/// Who issues which batch where: what each chunk's transaction records beside its accounts.
struct IssuanceBatchContext: Sendable {
  let tenant: Tenant
  let batchID: UUID
  let mutation: AuditedMutation
  let actorID: UUID
  /// The units hand the passwords out (``CredentialService``); otherwise the issuer gets them.
  let handOut: Bool

  /// Adds `counts` to the batch and writes an audit row, in the caller's transaction.
  func record(
    _ counts: FacilityService.BatchCounts,
    detail: String,
    on connection: PostgresConnection
  ) async throws {
    try await connection.query(
      """
      UPDATE issuance_batches SET issued_count = issued_count + \(counts.issued),
        already_issued_count = already_issued_count + \(counts.already),
        rejected_count = rejected_count + \(counts.rejected)
      WHERE province_code = \(tenant.code) AND batch_id = \(batchID)
      """,
      logger: connection.logger
    )
    try await mutation.record(
      target: "batch",
      id: batchID.uuidString.lowercased(),
      detail: detail,
      in: tenant,
      on: connection
    )
  }
}
