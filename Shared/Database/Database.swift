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
  /// Told about every lease, for the pool's metrics.
  public let poolObserver: (any DatabasePoolObserver)?
  /// The provinces that exist, so a request naming any other is INVALID_ARGUMENT.
  let provinces = KnownProvinces()

  public init(
    client: PostgresClient,
    logger: Logger,
    statementTimeoutMilliseconds: Int = 10_000,
    poolObserver: (any DatabasePoolObserver)? = nil
  ) {
    self.client = client
    self.logger = logger
    self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
    self.poolObserver = poolObserver
  }

  /// Runs an RPC's work in a transaction scoped to `tenant`.
  ///
  /// The work is bounded three times: by the statement timeout in the database; by the RPC's
  /// cancellation (its deadline, the client going away, or server shutdown), which cancels the
  /// statement in flight and answers DEADLINE_EXCEEDED at once; and by ``answerLimit``, past
  /// which the caller gets UNAVAILABLE whatever the database or the driver does. The
  /// cancellation handle is required: work outside an RPC uses
  /// ``withMaintenanceTransaction(_:_:)``. Errors come back as `RPCError` with the canonical
  /// code (`DatabaseError.rpcError(for:)`).
  public func withTenantTransaction<Result: Sendable>(
    _ tenant: Tenant,
    cancellation: ServerContext.RPCCancellationHandle,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    let backend = BackendInFlight()
    return try await bounded(cancellation, backend: backend) {
      try await self.provinces.require(tenant, client: self.client, logger: self.logger)
      return try await self.transaction(tenant, backend: backend, body)
    }
  }

  /// A read-only tenant transaction in which every statement sees the same instant
  /// (`REPEATABLE READ`): for what must agree with itself across several statements, such as
  /// a unit's frozen snapshot (its figures and its lists). Bounded like
  /// ``withTenantTransaction(_:cancellation:_:)``.
  public func withConsistentRead<Result: Sendable>(
    _ tenant: Tenant,
    cancellation: ServerContext.RPCCancellationHandle,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    let backend = BackendInFlight()
    return try await bounded(cancellation, backend: backend) {
      try await self.provinces.require(tenant, client: self.client, logger: self.logger)
      return try await self.transaction(tenant, consistent: true, backend: backend, body)
    }
  }

  /// Runs an RPC's work on a pooled connection outside any tenant: only the global tables
  /// (account directory, signing keys, throttling, reference data) are visible there. Bounded
  /// like ``withTenantTransaction(_:cancellation:_:)``.
  public func withGlobalConnection<Result: Sendable>(
    cancellation: ServerContext.RPCCancellationHandle,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    try await pooledConnection(cancellation, body)
  }

  /// A tenant transaction that belongs to no RPC (start-up work, background jobs, tools). Its
  /// statements are bounded by the statement timeout every pooled connection carries
  /// (``DatabaseConfiguration/clientConfiguration(applicationName:)``), and the wait for it by
  /// ``answerLimit``.
  public func withMaintenanceTransaction<Result: Sendable>(
    _ tenant: Tenant,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    let backend = BackendInFlight()
    return try await bounded(nil, backend: backend) {
      try await self.transaction(tenant, backend: backend, body)
    }
  }

  /// A pooled connection outside any tenant and any RPC, bounded like
  /// ``withMaintenanceTransaction(_:_:)``.
  public func withMaintenanceConnection<Result: Sendable>(
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    try await pooledConnection(nil, body)
  }

  /// A leased connection outside any tenant, bounded by `cancellation` when it serves an RPC.
  private func pooledConnection<Result: Sendable>(
    _ cancellation: ServerContext.RPCCancellationHandle?,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    let backend = BackendInFlight()
    return try await bounded(cancellation, backend: backend) {
      try await leased { connection in
        backend.attach(connection)
        return try await body(connection)
      }
    }
  }

  /// A pooled connection for `body`, its wait and lease reported to ``poolObserver``.
  private func leased<Result: Sendable>(
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    guard let observer = poolObserver else { return try await client.withConnection(body) }
    let start = ContinuousClock.now
    let lease = Lease()
    observer.waitStarted()
    do {
      return try await client.withConnection { connection in
        lease.acquired.store(true, ordering: .relaxed)
        observer.waitEnded(after: .now - start, leased: true)
        defer { observer.leaseEnded() }
        return try await body(connection)
      }
    } catch {
      if !lease.acquired.load(ordering: .relaxed) {
        observer.waitEnded(after: .now - start, leased: false)
      }
      throw error
    }
  }

  /// Whether a lease's wait already ended with a connection.
  private final class Lease: Sendable {
    let acquired = Atomic<Bool>(false)
  }

  /// The longest a caller waits for database work: the statement timeout plus the time a
  /// transaction's other round trips may take. Past it the work is abandoned (below).
  public var answerLimit: Duration {
    .milliseconds(Int64(statementTimeoutMilliseconds)) + .seconds(5)
  }

  private func transaction<Result: Sendable>(
    _ tenant: Tenant,
    consistent: Bool = false,
    backend: BackendInFlight,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
  ) async throws -> Result {
    let logger = self.logger
    let timeout = String(statementTimeoutMilliseconds)
    return try await leased { connection in
      backend.attach(connection)
      return try await connection.withTransaction(logger: logger) { connection in
        // Before the first statement, which fixes a repeatable-read snapshot.
        if consistent {
          try await connection.query(
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            logger: logger
          )
        }
        let rows = try await connection.execute(
          TenantSetting(province: tenant.code, statementTimeout: timeout),
          logger: logger
        )
        for try await key in rows {
          guard backend.start(key) else {
            throw RPCError(
              code: .deadlineExceeded,
              message: "the call was cancelled or ran past its deadline"
            )
          }
        }
        return try await body(connection)
      }
    }
  }

  /// Waits for `work` until it ends, the RPC is cancelled, or ``answerLimit`` passes, and maps
  /// every failure to an `RPCError`.
  ///
  /// The work runs in a task of its own that the caller stops waiting for, rather than as a
  /// child the caller must await: a query on a connection the server cut (a crash, `pg_ctl -m
  /// immediate`) can stay unresolved for ever in postgres-nio 1.33.2, ignoring cancellation,
  /// and a structured child would hold the RPC, the server's drain and the process's exit with
  /// it (issue 8: shutdown that never completed). Abandoned work has its statement cancelled and
  /// its connection closed, so the pool replaces it.
  private func bounded<Result: Sendable>(
    _ cancellation: ServerContext.RPCCancellationHandle?,
    backend: BackendInFlight,
    _ work: @escaping @Sendable () async throws -> Result
  ) async throws -> Result {
    let outcome = Outcome<Result>()
    let worker = Task {
      defer { backend.finish() }
      do {
        outcome.resolve(.success(try await work()))
      } catch {
        outcome.resolve(.failure(error))
      }
    }
    let limit = answerLimit
    let watcher = Task {
      let cancelled = await Self.firstOf(cancellation, orAfter: limit)
      guard let cancelled else { return }  // the work ended first
      let resolved = outcome.resolve(
        .failure(
          cancelled
            ? RPCError(
              code: .deadlineExceeded,
              message: "the call was cancelled or ran past its deadline"
            )
            : RPCError(
              code: .unavailable,
              message: "the database did not answer within \(limit); retry"
            )
        )
      )
      guard resolved else { return }
      worker.cancel()
      // A cancelled call cancels its statement; the connection goes back to the pool once it
      // has stopped. Work past the limit is in an unknown state: its connection is closed too.
      await backend.abandon(using: self, closing: !cancelled)
    }
    defer { watcher.cancel() }
    do {
      return try await withTaskCancellationHandler {
        try await outcome.value
      } onCancel: {
        outcome.resolve(.failure(CancellationError()))
        worker.cancel()
      }
    } catch {
      throw DatabaseError.rpcError(for: error, logger: logger)
    }
  }

  /// `true` when the RPC was cancelled first, `false` when `limit` passed first, `nil` when the
  /// waiting task itself was cancelled (the work ended).
  private static func firstOf(
    _ cancellation: ServerContext.RPCCancellationHandle?,
    orAfter limit: Duration
  ) async -> Bool? {
    await withTaskGroup(of: Bool?.self) { group in
      if let cancellation {
        group.addTask {
          do {
            try await cancellation.cancelled
            return true
          } catch {
            return nil
          }
        }
      }
      group.addTask {
        do {
          try await Task.sleep(for: limit)
          return false
        } catch {
          return nil
        }
      }
      defer { group.cancelAll() }
      let first = await group.next() ?? nil
      return Task.isCancelled ? nil : first
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
