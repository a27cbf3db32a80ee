public import GRPCCore
public import Logging
public import PostgresNIO
public import SafeMapCore

/// The pool of one service plus the tenant transaction every request runs in.
///
/// Each request's work runs in one transaction that first sets `app.province` (and a statement
/// timeout) with `set_config(…, true)`, so the row-level security policies see the tenant taken
/// from the verified token and the setting cannot leak to the next lease of the connection.
public struct Database: Sendable {
  public let client: PostgresClient
  public let logger: Logger
  public let statementTimeoutMilliseconds: Int

  public init(client: PostgresClient, logger: Logger, statementTimeoutMilliseconds: Int = 10_000) {
    self.client = client
    self.logger = logger
    self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
  }

  /// Runs `body` in a transaction scoped to `tenant`.
  ///
  /// The work is bounded twice: by the statement timeout in the database, and by the RPC's
  /// cancellation (its deadline, the client going away, or server shutdown), which cancels the
  /// lease or query in flight. Errors come back as `RPCError` with the canonical code
  /// (`DatabaseError.rpcError(for:)`).
  public func withTenantTransaction<Result: Sendable>(
    _ tenant: Tenant,
    cancellation: ServerContext.RPCCancellationHandle? = nil,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    let logger = self.logger
    let timeout = String(statementTimeoutMilliseconds)
    return try await boundedByRPC(cancellation) {
      try await client.withTransaction(logger: logger) { connection in
        try await connection.query(
          "SELECT set_config('app.province', \(tenant.code), true), set_config('statement_timeout', \(timeout), true)",
          logger: logger)
        return try await body(connection)
      }
    }
  }

  /// Runs `body` on a pooled connection outside any tenant: only the global tables (account
  /// directory, signing keys, throttling, reference data) are visible there.
  public func withGlobalConnection<Result: Sendable>(
    cancellation: ServerContext.RPCCancellationHandle? = nil,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    try await boundedByRPC(cancellation) {
      try await client.withConnection { connection in try await body(connection) }
    }
  }

  /// Races `work` against the RPC's cancellation and maps every failure to an `RPCError`.
  private func boundedByRPC<Result: Sendable>(
    _ cancellation: ServerContext.RPCCancellationHandle?,
    _ work: @escaping @Sendable () async throws -> Result
  ) async throws -> Result {
    do {
      guard let cancellation else { return try await work() }
      return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await work() }
        group.addTask {
          try await cancellation.cancelled
          return nil
        }
        defer { group.cancelAll() }
        while let next = try await group.next() {
          if let result = next { return result }
          throw RPCError(
            code: .deadlineExceeded, message: "the call was cancelled or ran past its deadline")
        }
        throw RPCError(code: .internalError, message: "database work ended without a result")
      }
    } catch {
      throw DatabaseError.rpcError(for: error, logger: logger)
    }
  }
}
