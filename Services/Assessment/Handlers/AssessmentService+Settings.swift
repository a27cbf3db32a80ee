import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

extension AssessmentService {
  /// docs/domain.md.
  static let defaultValidityDays: Int32 = 7

  static func readSettings(_ province: String, on connection: PostgresConnection) async throws
    -> Safemap_Assessment_V1_ProvinceSettings
  {
    var settings = Safemap_Assessment_V1_ProvinceSettings.with {
      $0.provinceCode = province
      $0.validityDays = defaultValidityDays
      $0.overdueGraceDays = 0
    }
    let rows = try await connection.query(
      """
      SELECT validity_days, overdue_grace_days, updated_by, updated_at FROM province_settings
      WHERE province_code = \(province)
      """,
      logger: connection.logger
    )
    for try await (validity, grace, by, at) in rows.decode((Int32, Int32, UUID?, Date).self) {
      settings.validityDays = validity
      settings.overdueGraceDays = grace
      settings.updatedByAccountID = by?.uuidString.lowercased() ?? ""
      settings.updateTime = Google_Protobuf_Timestamp(date: at)
    }
    return settings
  }

  public func getProvinceSettings(
    request: Safemap_Assessment_V1_GetProvinceSettingsRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_GetProvinceSettingsResponse {
    let principal = try RequestPrincipal.require()
    let tenant = try principal.tenant(forRequested: request.provinceCode)
    let settings = try await database.withTenantTransaction(
      tenant,
      cancellation: context.cancellation
    ) {
      try await Self.readSettings(tenant.code, on: $0)
    }
    return .with { $0.settings = settings }
  }

  public func updateProvinceSettings(
    request: Safemap_Assessment_V1_UpdateProvinceSettingsRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_UpdateProvinceSettingsResponse {
    let mutation = try AuditedMutation(context, database: database)
    return try await mutation.run(province: request.settings.provinceCode) {
      try await updateProvinceSettings(request, mutation: mutation, context: context)
    }
  }

  private func updateProvinceSettings(
    _ request: Safemap_Assessment_V1_UpdateProvinceSettingsRequest,
    mutation: AuditedMutation,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_UpdateProvinceSettingsResponse {
    let principal = mutation.principal
    guard AccessPolicy.mayChangeProvinceSettings(principal) else {
      throw RPCError(
        code: .permissionDenied,
        message: "only a province officer sets the province's rules"
      )
    }
    let tenant = try principal.tenant(
      forRequested: request.settings.provinceCode,
      field: "settings.province_code"
    )
    let paths = request.updateMask.paths
    var violations = FieldViolations()
    violations.require(
      !paths.isEmpty,
      "update_mask",
      "name validity_days and/or overdue_grace_days"
    )
    for path in paths where !["validity_days", "overdue_grace_days"].contains(path) {
      violations.add("update_mask", "\(path) cannot be updated")
    }
    if paths.contains("validity_days") {
      violations.require(
        (1...90).contains(request.settings.validityDays),
        "settings.validity_days",
        "must be 1–90"
      )
    }
    if paths.contains("overdue_grace_days") {
      violations.require(
        (0...30).contains(request.settings.overdueGraceDays),
        "settings.overdue_grace_days",
        "must be 0–30"
      )
    }
    guard violations.isEmpty else { throw RPCError.invalidArgument(violations) }
    let validity: Int? = paths.contains("validity_days") ? Int(request.settings.validityDays) : nil
    let grace: Int? =
      paths.contains("overdue_grace_days") ? Int(request.settings.overdueGraceDays) : nil
    let actor = UUID(uuidString: principal.accountID)
    let settings = try await mutation.commit(in: tenant) {
      connection in
      try await connection.query(
        """
        INSERT INTO province_settings (province_code, validity_days, overdue_grace_days, updated_by)
        VALUES (\(tenant.code), coalesce(\(validity), \(Int(Self.defaultValidityDays))),
          coalesce(\(grace), 0), \(actor))
        ON CONFLICT (province_code) DO UPDATE SET
          validity_days = coalesce(\(validity), province_settings.validity_days),
          overdue_grace_days = coalesce(\(grace), province_settings.overdue_grace_days),
          updated_by = \(actor), updated_at = now()
        """,
        logger: connection.logger
      )
      return .changed(
        try await Self.readSettings(tenant.code, on: connection),
        target: "province",
        id: tenant.code,
        detail: paths.joined(separator: ",")
      )
    }
    return .with { $0.settings = settings }
  }
}
