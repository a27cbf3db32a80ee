import GRPCCore
import Logging
import PostgresNIO
import SafeMapCore
import SafeMapDatabase
import SafeMapTestSupport
import Testing

@Suite("Tenant transaction")
struct TenantTransactionTests {
  static func withDatabase<R: Sendable>(
    statementTimeout: Int = 10_000,
    _ body: @escaping @Sendable (Database) async throws -> R
  ) async throws -> R {
    let cluster = try await PostgresCluster.shared()
    let name = try await cluster.makeMigratedDatabase()
    return try await PostgresTesting.withClient(
      cluster.configuration(database: name, user: "safemap_reporting")
    ) { client, logger in
      try await body(
        Database(client: client, logger: logger, statementTimeoutMilliseconds: statementTimeout)
      )
    }
  }

  @Test("the transaction carries the tenant, and the setting does not leak to the next lease")
  func tenantIsTransactionLocal() async throws {
    try await Self.withDatabase { database in
      let inside = try await database.withMaintenanceTransaction(.province("70")!) { connection in
        try await connection.query(
          "SELECT current_setting('app.province', true)",
          logger: database.logger
        ).decode(String.self).reduce("", +)
      }
      #expect(inside == "70")
      let after = try await database.withMaintenanceConnection { connection in
        try await connection.query(
          "SELECT coalesce(current_setting('app.province', true), '')",
          logger: database.logger
        ).decode(String.self).reduce("", +)
      }
      #expect(after == "")
    }
  }

  @Test("a cancelled RPC stops its database work with DEADLINE_EXCEEDED")
  func cancellationStopsWork() async throws {
    try await Self.withDatabase { database in
      let handle = ServerContext.RPCCancellationHandle()
      let started = ContinuousClock.now
      Task {
        try await Task.sleep(for: .milliseconds(200))
        handle.cancel()
      }
      await #expect(
        performing: {
          try await database.withTenantTransaction(.province("25")!, cancellation: handle) {
            connection in
            try await connection.query("SELECT 1 FROM pg_sleep(10)", logger: database.logger)
              .decode(Int.self).reduce(0, +)
          }
        },
        throws: { ($0 as? RPCError)?.code == .deadlineExceeded }
      )
      // It did not wait for the ten-second sleep.
      #expect(ContinuousClock.now - started < .seconds(8))
    }
  }

  @Test("a statement past the statement timeout fails with DEADLINE_EXCEEDED")
  func statementTimeout() async throws {
    try await Self.withDatabase(statementTimeout: 200) { database in
      await #expect(
        performing: {
          try await database.withMaintenanceTransaction(.province("25")!) { connection in
            try await connection.query("SELECT 1 FROM pg_sleep(5)", logger: database.logger)
              .decode(Int.self).reduce(0, +)
          }
        },
        throws: { ($0 as? RPCError)?.code == .deadlineExceeded }
      )
    }
  }

  @Test("database refusals reach the caller as gRPC status codes")
  func refusalsMapToStatusCodes() async throws {
    try await Self.withDatabase { database in
      // Reporting may not write facilities at all.
      await #expect(
        performing: {
          try await database.withMaintenanceTransaction(.province("25")!) { connection in
            try await connection.query(
              "INSERT INTO facilities (province_code, facility_id, name, tax_code, district_code) VALUES ('25', gen_random_uuid(), 'x', '2500000001', '227')",
              logger: database.logger
            )
          }
        },
        throws: { ($0 as? RPCError)?.code == .permissionDenied }
      )
      // A campaign that ends before it starts breaks a check constraint.
      await #expect(
        performing: {
          try await database.withMaintenanceTransaction(.province("25")!) { connection in
            try await connection.query(
              "INSERT INTO campaigns (province_code, campaign_id, title, start_time, deadline, created_by) VALUES ('25', gen_random_uuid(), 'x', now(), now() - interval '1 day', gen_random_uuid())",
              logger: database.logger
            )
          }
        },
        throws: { ($0 as? RPCError)?.code == .invalidArgument }
      )
    }
  }

  @Test("a cancel that arrives after its transaction ended cannot touch the next one")
  func lateCancelHitsNothing() async throws {
    let cluster = try await PostgresCluster.shared()
    let name = try await cluster.makeMigratedDatabase()
    var configuration = cluster.configuration(database: name, user: "safemap_reporting")
    // One connection: the second transaction reuses the first one's server process.
    configuration.maximumConnections = 1
    try await PostgresTesting.withClient(configuration) { client, logger in
      try await PostgresTesting.withClient(
        cluster.configuration(database: name, user: "safemap_reporting")
      ) { other, _ in
        let database = Database(client: client, logger: logger)
        let canceller = Database(client: other, logger: logger)
        let first = try await database.withMaintenanceTransaction(.province("25")!) {
          try await Self.backendKey(on: $0, logger: logger)
        }
        // The same server process, a later transaction: a late cancel of the first matches
        // nothing, so this sleep completes.
        let slept = try await database.withMaintenanceTransaction(.province("25")!) {
          connection in
          let second = try await Self.backendKey(on: connection, logger: logger)
          #expect(second.pid == first.pid)
          #expect(second.transactionStart != first.transactionStart)
          async let sleep = connection.query("SELECT 1 FROM pg_sleep(0.5)", logger: logger)
            .decode(Int.self).reduce(0, +)
          try await Task.sleep(for: .milliseconds(100))
          await canceller.cancel(first)
          return try await sleep
        }
        #expect(slept == 1)
        // The key of the running transaction itself does cancel it.
        await #expect(throws: (any Error).self) {
          try await database.withMaintenanceTransaction(.province("25")!) { connection in
            let key = try await Self.backendKey(on: connection, logger: logger)
            async let sleep = connection.query("SELECT 1 FROM pg_sleep(5)", logger: logger)
              .decode(Int.self).reduce(0, +)
            try await Task.sleep(for: .milliseconds(100))
            await canceller.cancel(key)
            return try await sleep
          }
        }
      }
    }
  }

  static func backendKey(on connection: PostgresConnection, logger: Logger) async throws
    -> BackendKey
  {
    let rows = try await connection.query(
      "SELECT pg_backend_pid(), (extract(epoch FROM now()) * 1000000)::int8",
      logger: logger
    )
    for try await (pid, start) in rows.decode((Int32, Int64).self) {
      return BackendKey(pid: pid, transactionStart: start)
    }
    throw RPCError(code: .internalError, message: "no backend")
  }

  @Test("connections opened outside any RPC carry the statement timeout")
  func maintenanceConnectionsAreBounded() async throws {
    let cluster = try await PostgresCluster.shared()
    let name = try await cluster.makeMigratedDatabase()
    var configuration = cluster.configuration(database: name, user: "safemap_reporting")
    configuration.statementTimeoutMilliseconds = 1_234
    try await PostgresTesting.withClient(configuration) { client, logger in
      let database = Database(client: client, logger: logger)
      let shown = try await database.withMaintenanceConnection { connection in
        try await connection.query("SHOW statement_timeout", logger: database.logger)
          .decode(String.self).reduce("", +)
      }
      #expect(shown == "1234ms")
    }
  }
}
