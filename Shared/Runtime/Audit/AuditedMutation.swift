public import GRPCCore
public import PostgresNIO
public import SafeMapAuth
public import SafeMapCore
public import SafeMapDatabase

/// A mutating RPC as the audit log records it: the verified caller and the method being
/// served, taken once per call so that no handler types an action name. Every mutation goes
/// through it:
///
/// ```swift
/// let mutation = try AuditedMutation(context, database: database)
/// return try await mutation.run(province: request.provinceCode) {
///   let tenant = try mutation.principal.tenant(forRequested: …, field: "province_code")
///   return try await mutation.commit(in: tenant) { connection in
///     …                                        // the change
///     return .changed(row, target: "zone", id: id)  // its audit row commits with it
///   }
/// }
/// ```
public struct AuditedMutation: Sendable {
  public let principal: Principal
  /// The RPC's name (`CreateZone`), from the generated method descriptor.
  public let action: String
  public let clientAddress: String
  let context: ServerContext
  let database: Database

  /// The caller from the verified token (`UNAUTHENTICATED` without one).
  public init(_ context: ServerContext, database: Database) throws {
    self.principal = try RequestPrincipal.require()
    self.action = context.descriptor.method
    self.clientAddress = context.clientAddress
    self.context = context
    self.database = database
  }

  /// Runs the whole RPC. A refusal thrown from `body` is recorded, in a transaction of its own
  /// (the change's was rolled back), in the caller's province or the one a ministry caller
  /// named, and rethrown.
  public func run<Result: Sendable>(
    province requestedProvince: String?,
    _ body: () async throws -> Result
  ) async throws -> Result {
    try await Audit.refusals(
      action,
      actor: principal,
      province: requestedProvince,
      context: context,
      database: database,
      body
    )
  }

  /// One tenant transaction holding the change and its audit row: `change` says what it
  /// changed (``Audited/changed(_:target:id:detail:)``), or that it changed nothing (a
  /// replayed request id), and the row is written before the transaction commits.
  public func commit<Result: Sendable>(
    in tenant: Tenant,
    _ change: @escaping @Sendable (PostgresConnection) async throws -> Audited<Result>
  ) async throws -> Result {
    try await database.withTenantTransaction(tenant, cancellation: context.cancellation) {
      connection in
      let audited = try await change(connection)
      if let entry = audited.entry(action) {
        try await record(entry, in: tenant, on: connection)
      }
      return audited.value
    }
  }

  /// Writes a success row inside a transaction the caller holds: for changes that commit in
  /// several transactions (the chunks of a bulk issuance).
  public func record(
    target: String,
    id: String,
    detail: String = "",
    in tenant: Tenant,
    on connection: PostgresConnection
  ) async throws {
    try await record(
      AuditEntry(action: action, targetType: target, targetID: id, detail: detail),
      in: tenant,
      on: connection
    )
  }

  /// Writes one success row per target, in one statement, inside the caller's transaction:
  /// for a call that acts on many objects at once, each of which is a change of its own.
  public func record(
    targets: [(target: String, id: String, detail: String)],
    in tenant: Tenant,
    on connection: PostgresConnection
  ) async throws {
    try await Audit.record(
      targets.map {
        AuditEntry(action: action, targetType: $0.target, targetID: $0.id, detail: $0.detail)
      },
      actor: principal,
      province: tenant.code,
      clientAddress: clientAddress,
      on: connection
    )
  }

  private func record(
    _ entry: AuditEntry,
    in tenant: Tenant,
    on connection: PostgresConnection
  ) async throws {
    try await Audit.record(
      entry,
      actor: principal,
      province: tenant.code,
      clientAddress: clientAddress,
      on: connection
    )
  }
}

/// What a change inside ``AuditedMutation/commit(in:_:)`` returns: its result, and what it
/// changed for the audit row.
public struct Audited<Value: Sendable>: Sendable {
  public var value: Value
  var target: (type: String, id: String, detail: String)?

  /// The change happened: one audit row names its target.
  public static func changed(
    _ value: Value,
    target: String,
    id: String,
    detail: String = ""
  ) -> Audited {
    Audited(value: value, target: (target, id, detail))
  }

  /// Nothing changed (a request id seen before answers what it answered then): no row.
  public static func unchanged(_ value: Value) -> Audited {
    Audited(value: value, target: nil)
  }

  func entry(_ action: String) -> AuditEntry? {
    target.map {
      AuditEntry(action: action, targetType: $0.type, targetID: $0.id, detail: $0.detail)
    }
  }
}
