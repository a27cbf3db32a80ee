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
      try await body(Database(client: client, logger: logger, statementTimeoutMilliseconds: statementTimeout))
    }
  }

  @Test("the transaction carries the tenant, and the setting does not leak to the next lease")
  func tenantIsTransactionLocal() async throws {
    try await Self.withDatabase { database in
      let inside = try await database.withTenantTransaction(.province("70")!) { connection in
        try await connection.query(
          "SELECT current_setting('app.province', true)", logger: database.logger
        ).decode(String.self).reduce("", +)
      }
      #expect(inside == "70")
      let after = try await database.withGlobalConnection { connection in
        try await connection.query(
          "SELECT coalesce(current_setting('app.province', true), '')", logger: database.logger
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
        throws: { ($0 as? RPCError)?.code == .deadlineExceeded })
      // It did not wait for the ten-second sleep.
      #expect(ContinuousClock.now - started < .seconds(8))
    }
  }

  @Test("a statement past the statement timeout fails with DEADLINE_EXCEEDED")
  func statementTimeout() async throws {
    try await Self.withDatabase(statementTimeout: 200) { database in
      await #expect(
        performing: {
          try await database.withTenantTransaction(.province("25")!) { connection in
            try await connection.query("SELECT 1 FROM pg_sleep(5)", logger: database.logger)
              .decode(Int.self).reduce(0, +)
          }
        },
        throws: { ($0 as? RPCError)?.code == .deadlineExceeded })
    }
  }

  @Test("database refusals reach the caller as gRPC status codes")
  func refusalsMapToStatusCodes() async throws {
    try await Self.withDatabase { database in
      // Reporting may not write facilities at all.
      await #expect(
        performing: {
          try await database.withTenantTransaction(.province("25")!) { connection in
            try await connection.query(
              "INSERT INTO facilities (province_code, facility_id, name, tax_code, district_code) VALUES ('25', gen_random_uuid(), 'x', '2500000001', '227')",
              logger: database.logger)
          }
        },
        throws: { ($0 as? RPCError)?.code == .permissionDenied })
      // A campaign that ends before it starts breaks a check constraint.
      await #expect(
        performing: {
          try await database.withTenantTransaction(.province("25")!) { connection in
            try await connection.query(
              "INSERT INTO campaigns (province_code, campaign_id, title, start_time, deadline, created_by) VALUES ('25', gen_random_uuid(), 'x', now(), now() - interval '1 day', gen_random_uuid())",
              logger: database.logger)
          }
        },
        throws: { ($0 as? RPCError)?.code == .invalidArgument })
    }
  }
}
