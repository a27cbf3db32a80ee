import Foundation
import GRPCCore
import NIOCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapContract
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

/// What a unit's officer does: nominate facilities, answer the province's question, and tell a
/// drive it has nothing (more) to nominate. The unit is the caller's own, from its token.
extension NominationService {
  public func nominateFacilities(
    request: Safemap_Account_V1_NominateFacilitiesRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_NominateFacilitiesResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.provinceCode) {
      let unit = try Self.nominatingUnit(principal)
      let tenant = try principal.tenant(forRequested: request.provinceCode)
      let driveID = try Self.driveID(request.driveID, required: false)
      guard !request.rows.isEmpty, request.rows.count <= Nomination.maximumRows else {
        throw RPCError(
          code: request.rows.isEmpty ? .invalidArgument : .resourceExhausted,
          message: "rows: 1 to \(Nomination.maximumRows) rows per request"
        )
      }
      let actor = try principal.actorID()
      let rows = try request.rows.enumerated().map { index, row in
        var row = row
        row.facility.provinceCode = tenant.code
        row.comment = try FreeText.check(row.comment, field: "rows[\(index)].comment")
        return row
      }
      return try await mutation.commit(in: tenant) {
        connection -> Audited<Safemap_Account_V1_NominateFacilitiesResponse> in
        if let driveID {
          _ = try await Self.requireDrive(driveID, province: tenant.code, on: connection)
        }
        let response = try await Self.nominate(
          rows,
          unit: unit,
          drive: driveID,
          province: tenant.code,
          actor: actor,
          mutation: mutation,
          on: connection
        )
        return .changed(
          response,
          target: "nominations",
          id: driveID?.uuidString.lowercased() ?? unit.label,
          detail: "\(unit.label): nominated \(response.nominated), already nominated "
            + "\(response.alreadyNominated), rejected \(response.rejected)"
        )
      }
    }
  }

  /// Checks and writes the rows in the caller's transaction: each row nominated, already
  /// nominated (by this unit) or rejected with its violations.
  private static func nominate(
    _ rows: [Safemap_Account_V1_NominationRow],
    unit: ReportingUnit,
    drive: UUID?,
    province: String,
    actor: UUID,
    mutation: AuditedMutation,
    on connection: PostgresConnection
  ) async throws -> Safemap_Account_V1_NominateFacilitiesResponse {
    let references = try await IssuanceChunk.References.load(province: province, on: connection)
    let check = try await NominationCheck.load(
      rows.map(\.facility),
      province: province,
      on: connection
    )
    var results: [Safemap_Account_V1_NominationResult] = []
    var new: [(index: Int, id: UUID, row: Safemap_Account_V1_NominationRow, warnings: [String])] =
      []
    var already: [Int: UUID] = [:]
    var firstRow: [String: Int32] = [:]
    for (index, row) in rows.enumerated() {
      var violations = FacilityInput.violations(row.facility, prefix: "facility.")
      if violations.isEmpty {
        violations = references.violations(row.facility, province: province)
      }
      violations.merge(Self.unitViolations(row.facility, unit: unit))
      if violations.isEmpty {
        violations = check.violations(row.facility, by: unit, prefix: "facility.")
      }
      if violations.isEmpty, let first = firstRow[row.facility.taxCode] {
        violations.add("facility.tax_code", "repeats row \(first)")
      }
      results.append(.with { $0.rowNumber = row.rowNumber })
      guard violations.isEmpty else {
        results[index].outcome = .rejected
        results[index].violations = violations.messages
        continue
      }
      firstRow[row.facility.taxCode] = row.rowNumber
      if let existing = check.alreadyNominated(row.facility, by: unit) {
        results[index].outcome = .alreadyNominated
        already[index] = existing
      } else {
        results[index].outcome = .nominated
        new.append((index, UUID(), row, check.warnings(row.facility)))
      }
    }
    if !new.isEmpty {
      let inserted = try await connection.query(
        """
        INSERT INTO nominations (province_code, nomination_id, drive_id, unit_kind, unit_code,
          facility, name, tax_code, district_code, state, warnings, comment, nominated_by)
        SELECT \(province), id, \(drive), \(unit.kind.sql), \(unit.code), facility, name, tax,
          district, 'SUBMITTED', string_to_array(warnings, E'\\n'), comment, \(actor)
        FROM unnest(\(new.map(\.id)), \(try new.map { try Self.bytes($0.row.facility) }),
          \(new.map(\.row.facility.name)), \(new.map(\.row.facility.taxCode)),
          \(new.map(\.row.facility.districtCode)),
          \(new.map { $0.warnings.joined(separator: "\n") }), \(new.map(\.row.comment)))
          AS r(id, facility, name, tax, district, warnings, comment)
        ON CONFLICT (province_code, tax_code) WHERE state <> 'REJECTED' DO NOTHING
        RETURNING 1
        """,
        logger: connection.logger
      )
      var count = 0
      for try await _ in inserted { count += 1 }
      guard count == new.count else {
        throw RPCError(
          code: .aborted,
          message: "rows: another unit nominated one of these tax codes at the same moment; "
            + "send the rows again"
        )
      }
      if let drive {
        try await DriveUnits.answer(
          drive: drive,
          province: province,
          unit: unit,
          actor: actor,
          comment: "",
          on: connection
        )
      }
    }
    let ids = new.map(\.id) + Array(already.values)
    let records = try await NominationRecord.find(ids, province: province, on: connection)
    for entry in new { results[entry.index].nomination = records[entry.id]?.message ?? .init() }
    for (index, id) in already { results[index].nomination = records[id]?.message ?? .init() }
    return .with {
      $0.results = results
      $0.nominated = Int32(new.count)
      $0.alreadyNominated = Int32(already.count)
      $0.rejected = Int32(results.count - new.count - already.count)
    }
  }

  public func updateNomination(
    request: Safemap_Account_V1_UpdateNominationRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_UpdateNominationResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.provinceCode) {
      let unit = try Self.nominatingUnit(principal)
      let tenant = try principal.tenant(forRequested: request.provinceCode)
      guard let id = UUID(uuidString: request.nominationID) else {
        throw RPCError(code: .invalidArgument, message: "nomination_id: not a valid id")
      }
      let comment = try FreeText.check(
        request.comment,
        field: "comment",
        required: "(the answer to the province)"
      )
      var amended: Safemap_Account_V1_Facility? = nil
      if request.hasFacility {
        var facility = request.facility
        facility.provinceCode = tenant.code
        var violations = FacilityInput.violations(facility, prefix: "facility.")
        violations.merge(Self.unitViolations(facility, unit: unit))
        guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
        amended = facility
      }
      let replacement = amended
      return try await mutation.commit(in: tenant) {
        connection -> Audited<Safemap_Account_V1_UpdateNominationResponse> in
        guard
          let record = try await NominationRecord.find(
            [id],
            province: tenant.code,
            locking: true,
            on: connection
          )[id], record.unit == unit
        else {
          throw RPCError(code: .notFound, message: "nomination_id: no such nomination")
        }
        guard record.state.mayUpdate else {
          throw RPCError(
            code: .failedPrecondition,
            message: "nomination_id: the nomination is \(record.state.sql); only a SUBMITTED or "
              + "NEEDS_INFORMATION nomination can be amended"
          )
        }
        let facility = replacement ?? record.message.facility
        var warnings = record.message.warnings
        if let replacement {
          let references = try await IssuanceChunk.References.load(
            province: tenant.code,
            on: connection
          )
          var check = try await NominationCheck.load(
            [replacement],
            province: tenant.code,
            on: connection
          )
          check.nominated[replacement.taxCode] =
            check.nominated[replacement.taxCode].flatMap { $0.id == id ? nil : $0 }
          var violations = references.violations(replacement, province: tenant.code)
          violations.merge(check.violations(replacement, by: unit, prefix: "facility."))
          if let other = check.alreadyNominated(replacement, by: unit), other != id {
            violations.add(
              "facility.tax_code",
              "already nominated by your unit (nomination \(other.uuidString.lowercased()))"
            )
          }
          guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
          warnings = check.warnings(replacement)
        }
        try await connection.query(
          """
          UPDATE nominations SET facility = \(try Self.bytes(facility)), name = \(facility.name),
            tax_code = \(facility.taxCode), district_code = \(facility.districtCode),
            warnings = \(warnings), comment = \(comment), state = 'SUBMITTED', updated_at = now()
          WHERE province_code = \(tenant.code) AND nomination_id = \(id)
          """,
          logger: connection.logger
        )
        let updated = try await NominationRecord.find([id], province: tenant.code, on: connection)
        return .changed(
          .with { $0.nomination = updated[id]?.message ?? record.message },
          target: "nomination",
          id: id.uuidString.lowercased(),
          detail: "SUBMITTED again" + (replacement == nil ? "" : ", fields amended")
        )
      }
    }
  }

  public func respondToNominationDrive(
    request: Safemap_Account_V1_RespondToNominationDriveRequest,
    context: ServerContext
  ) async throws -> Safemap_Account_V1_RespondToNominationDriveResponse {
    let mutation = try AuditedMutation(context, database: database)
    let principal = mutation.principal
    return try await mutation.run(province: request.provinceCode) {
      let unit = try Self.nominatingUnit(principal)
      let tenant = try principal.tenant(forRequested: request.provinceCode)
      let driveID = try Self.driveID(request.driveID, required: true)!
      let comment = try FreeText.check(request.comment, field: "comment")
      let actor = try principal.actorID()
      return try await mutation.commit(in: tenant) {
        connection -> Audited<Safemap_Account_V1_RespondToNominationDriveResponse> in
        let drive = try await Self.requireDrive(driveID, province: tenant.code, on: connection)
        try await DriveUnits.answer(
          drive: driveID,
          province: tenant.code,
          unit: unit,
          actor: actor,
          comment: comment,
          on: connection
        )
        let answers = try await DriveUnits.answers(drive: drive, asOf: Date(), on: connection)
        guard let answer = answers.first(where: { $0.unit == unit }) else {
          throw RPCError(
            code: .failedPrecondition,
            message: "drive_id: \(unit.label) is not asked by this drive (a zone board with no "
              + "facility answers through its district)"
          )
        }
        return .changed(
          .with { $0.response = answer.message },
          target: "nomination_drive",
          id: "\(driveID.uuidString.lowercased())/\(unit.label)",
          detail: comment
        )
      }
    }
  }

  /// The caller's unit: only a district or zone officer nominates.
  static func nominatingUnit(_ principal: Principal) throws -> ReportingUnit {
    guard let unit = AccessPolicy.unit(of: principal) else {
      throw RPCError(
        code: .permissionDenied,
        message: "only a district or zone-board officer nominates facilities"
      )
    }
    return ReportingUnit(kind: unit.kind, code: unit.code)
  }

  /// A district officer nominates in its district, a zone officer in its zone.
  static func unitViolations(_ facility: Safemap_Account_V1_Facility, unit: ReportingUnit)
    -> FieldViolations
  {
    var v = FieldViolations()
    switch unit.kind {
    case .district:
      v.require(
        facility.districtCode == unit.code,
        "facility.district_code",
        "outside your district \(unit.code)"
      )
    case .zone:
      v.require(
        facility.zoneID.lowercased() == unit.code,
        "facility.zone_id",
        "outside your zone \(unit.code)"
      )
    }
    return v
  }

  static func bytes(_ facility: Safemap_Account_V1_Facility) throws -> ByteBuffer {
    ByteBuffer(bytes: try facility.serializedBytes() as [UInt8])
  }
}
