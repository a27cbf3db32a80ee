public import GRPCCore
public import Logging
public import PostgresNIO
public import SafeMapCore
import Synchronization

/// The pool of one service plus the tenant transaction every request runs in.
///
/// Each request's work runs in one transaction that first sets `app.province` (and a statement
/// timeout) with `set_config(…, true)`, so the row-level security policies see the tenant taken
/// from the verified token and the setting cannot leak to the next lease of the connection.
public struct Database: Sendable {
  public let client: PostgresClient
  public let logger: Logger
  public let statementTimeoutMilliseconds: Int
  /// The provinces that exist, so a request naming any other is INVALID_ARGUMENT.
  let provinces = KnownProvinces()

  public init(client: PostgresClient, logger: Logger, statementTimeoutMilliseconds: Int = 10_000) {
    self.client = client
    self.logger = logger
    self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
  }

  /// Runs an RPC's work in a transaction scoped to `tenant`.
  ///
  /// The work is bounded twice: by the statement timeout in the database, and by the RPC's
  /// cancellation (its deadline, the client going away, or server shutdown), which cancels the
  /// statement in flight and answers DEADLINE_EXCEEDED at once. The cancellation handle is
  /// required: work outside an RPC uses ``withMaintenanceTransaction(_:_:)``.
  /// Errors come back as `RPCError` with the canonical code (`DatabaseError.rpcError(for:)`).
  public func withTenantTransaction<Result: Sendable>(
    _ tenant: Tenant,
    cancellation: ServerContext.RPCCancellationHandle,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    let backend = BackendInFlight()
    return try await boundedByRPC(cancellation, onCancel: { await backend.cancel(using: self) }) {
      defer { backend.finish() }
      try await self.provinces.require(tenant, client: self.client, logger: self.logger)
      return try await self.transaction(tenant, backend: backend, body)
    }
  }

  /// Runs an RPC's work on a pooled connection outside any tenant: only the global tables
  /// (account directory, signing keys, throttling, reference data) are visible there. Bounded
  /// like ``withTenantTransaction(_:cancellation:_:)``.
  public func withGlobalConnection<Result: Sendable>(
    cancellation: ServerContext.RPCCancellationHandle,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    try await boundedByRPC(cancellation) {
      try await client.withConnection { connection in try await body(connection) }
    }
  }

  /// A tenant transaction that belongs to no RPC (start-up work, background jobs, tools). Its
  /// statements are bounded by the statement timeout every pooled connection carries
  /// (``DatabaseConfiguration/clientConfiguration(applicationName:)``) and set again here.
  public func withMaintenanceTransaction<Result: Sendable>(
    _ tenant: Tenant,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    do {
      return try await transaction(tenant, backend: nil, body)
    } catch {
      throw DatabaseError.rpcError(for: error, logger: logger)
    }
  }

  /// A pooled connection outside any tenant and any RPC, bounded by the statement timeout.
  public func withMaintenanceConnection<Result: Sendable>(
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    do {
      return try await client.withConnection { connection in try await body(connection) }
    } catch {
      throw DatabaseError.rpcError(for: error, logger: logger)
    }
  }

  private func transaction<Result: Sendable>(
    _ tenant: Tenant,
    backend: BackendInFlight?,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    let logger = self.logger
    let timeout = String(statementTimeoutMilliseconds)
    return try await client.withTransaction(logger: logger) { connection in
      let rows = try await connection.execute(
        TenantSetting(province: tenant.code, statementTimeout: timeout),
        logger: logger
      )
      for try await key in rows {
        guard backend?.start(key) ?? true else {
          throw RPCError(
            code: .deadlineExceeded,
            message: "the call was cancelled or ran past its deadline"
          )
        }
      }
      return try await body(connection)
    }
  }

  /// Races `work` against the RPC's cancellation and maps every failure to an `RPCError`.
  private func boundedByRPC<Result: Sendable>(
    _ cancellation: ServerContext.RPCCancellationHandle,
    onCancel: @escaping @Sendable () async -> Void = {},
    _ work: @escaping @Sendable () async throws -> Result
  ) async throws -> Result {
    do {
      return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await work() }
        group.addTask {
          try await cancellation.cancelled
          await onCancel()
          return nil
        }
        defer { group.cancelAll() }
        while let next = try await group.next() {
          if let result = next { return result }
          throw RPCError(
            code: .deadlineExceeded,
            message: "the call was cancelled or ran past its deadline"
          )
        }
        throw RPCError(code: .internalError, message: "database work ended without a result")
      }
    } catch {
      throw DatabaseError.rpcError(for: error, logger: logger)
    }
  }

  /// Cancels the statement running in `backend`'s transaction, and only there: the backend
  /// must still be inside the transaction that started at `transactionStart`. A cancel that
  /// arrives after that transaction ended (the connection back in the pool, perhaps serving
  /// another request) matches nothing and cancels nothing.
  package func cancel(_ backend: BackendKey) async {
    _ = try? await client.query(
      """
      SELECT pg_cancel_backend(pid) FROM pg_stat_activity
      WHERE pid = \(backend.pid)
        AND (extract(epoch FROM xact_start) * 1000000)::int8 = \(backend.transactionStart)
      """,
      logger: logger
    )
  }
}

/// The codes of the `provinces` table, loaded on first use and again (at most every 30 s) when
/// a request names a code not seen yet, so a province added later is found without a restart.
/// Only the ministry can name a province; anyone else's tenant comes from the token.
final class KnownProvinces: Sendable {
  private struct State {
    var codes: Set<String> = []
    var loadedAt: ContinuousClock.Instant?
  }
  private let state = Mutex(State())
  static let reloadGap: Duration = .seconds(30)

  /// INVALID_ARGUMENT naming `province_code` when `tenant` is a province that does not exist.
  func require(_ tenant: Tenant, client: PostgresClient, logger: Logger) async throws {
    guard ProvinceCode.isWellFormed(tenant.code) else { return }
    let (known, fresh) = state.withLock { state in
      (
        state.codes.contains(tenant.code),
        state.loadedAt.map { $0.advanced(by: Self.reloadGap) > .now } ?? false
      )
    }
    if known { return }
    if !fresh {
      let codes = try await client.withConnection { connection in
        var codes: Set<String> = []
        for try await code in try await connection.query(
          "SELECT code FROM provinces", logger: logger
        ).decode(String.self) {
          codes.insert(code)
        }
        return codes
      }
      state.withLock {
        $0.codes = codes
        $0.loadedAt = .now
      }
      if codes.contains(tenant.code) { return }
    }
    throw RPCError(
      code: .invalidArgument, message: "province_code: no province has the code \(tenant.code)")
  }
}

/// A server process and the start of the transaction it runs (microseconds since 1970): what a
/// cancel must match so it can never reach a later transaction on the same connection.
package struct BackendKey: Sendable, Hashable {
  package var pid: Int32
  package var transactionStart: Int64

  package init(pid: Int32, transactionStart: Int64) {
    self.pid = pid
    self.transactionStart = transactionStart
  }
}

/// The first statement of every tenant transaction: the tenant for row-level security, the
/// statement timeout, and the backend and transaction to cancel if the RPC goes away. Prepared
/// once per connection, as it runs before every request's work.
package struct TenantSetting: PostgresPreparedStatement {
  /// Short and explicit: PostgreSQL cuts statement names at 63 bytes.
  package static let name = "safemap_tenant_setting"
  package static let sql = """
    SELECT pg_backend_pid(), (extract(epoch FROM now()) * 1000000)::int8,
      set_config('app.province', $1, true), set_config('statement_timeout', $2, true)
    """
  package static let parameters = ["province_code", "statement_timeout"]
  package typealias Row = BackendKey

  package var province: String
  package var statementTimeout: String

  package func makeBindings() throws -> PostgresBindings {
    var bindings = PostgresBindings()
    bindings.append(province)
    bindings.append(statementTimeout)
    return bindings
  }

  package func decodeRow(_ row: PostgresRow) throws -> BackendKey {
    let (pid, start, _, _) = try row.decode((Int32, Int64, String, String).self)
    return BackendKey(pid: pid, transactionStart: start)
  }
}

/// The server process running a transaction's statements, so a cancelled RPC can stop them:
/// postgres-nio does not cancel a running query when its task is cancelled.
final class BackendInFlight: Sendable {
  private enum State {
    case idle
    case running(BackendKey)
    /// Cancelled before the first statement reported its backend: do not start.
    case cancelledEarly
    case finished
  }
  private let state = Mutex(State.idle)

  /// Records the backend; `false` when the RPC was already cancelled.
  func start(_ key: BackendKey) -> Bool {
    state.withLock {
      switch $0 {
      case .idle:
        $0 = .running(key)
        return true
      case .cancelledEarly, .running, .finished:
        return false
      }
    }
  }

  func finish() {
    state.withLock { $0 = .finished }
  }

  /// Asks PostgreSQL to cancel the running statement (from another pooled connection; a role
  /// may cancel its own backends). A no-op once the transaction has ended, and harmless if the
  /// request is still on its way when it ends (``Database/cancel(_:)``).
  func cancel(using database: Database) async {
    let key: BackendKey? = state.withLock {
      switch $0 {
      case .running(let key): return key
      case .idle:
        $0 = .cancelledEarly
        return nil
      case .cancelledEarly, .finished: return nil
      }
    }
    guard let key else { return }
    await database.cancel(key)
  }
}
