import Foundation
import Logging
import PostgresNIO
import SafeMapClient
import SafeMapDatabase
import SafeMapRuntime
import SafeMapTestSupport
import Testing

/// Tenant isolation in the database itself: each service role, with a province set, sees and
/// writes only that province's rows, whatever the SQL asks for.
@Suite("Row-level security")
struct RowLevelSecurityTests {
  let logger = Logger(label: "test.rls")

  /// A migrated database with fixture rows for Phú Thọ (25) and Bình Phước (70).
  static let seeded = Task<String, any Error> {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    try await PostgresTesting.withClient(cluster.configuration(database: database)) {
      client,
      logger in
      for province in ["25", "70"] {
        try await TenantFixtures.seed(province: province, client: client, logger: logger)
      }
    }
    return database
  }

  /// What the superuser says `role` may do with `table`.
  static func privileges(_ role: String, _ table: String, database: String) async throws
    -> Set<String>
  {
    let cluster = try await PostgresCluster.shared()
    return try await PostgresTesting.withClient(cluster.configuration(database: database)) {
      client,
      logger in
      var result: Set<String> = []
      for privilege in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
        let rows = try await client.query(
          "SELECT has_table_privilege(\(role), \(table), \(privilege))",
          logger: logger
        )
        for try await allowed in rows.decode(Bool.self) where allowed { result.insert(privilege) }
      }
      return result
    }
  }

  /// Runs `sql` as `role` in a transaction with `app.province` set to `tenant` (nil: unset).
  static func asRole(
    _ role: String,
    tenant: String?,
    database: String,
    _ sql: String
  ) async throws -> Int {
    let cluster = try await PostgresCluster.shared()
    return try await PostgresTesting.withClient(
      cluster.configuration(database: database, user: role)
    ) {
      client,
      logger in
      try await client.withTransaction(logger: logger) { tx in
        if let tenant {
          try await tx.query("SELECT set_config('app.province', \(tenant), true)", logger: logger)
        }
        let rows = try await tx.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        var count = 0
        for try await value in rows.decode(Int.self) { count += value }
        return count
      }
    }
  }

  @Test(
    "a role with province A set sees none of B's rows; with none set it sees nothing",
    arguments: SafeMapService.allCases
  )
  func readsAreConfinedToTheProvince(service: SafeMapService) async throws {
    let database = try await Self.seeded.value
    let role = service.databaseRole
    var checked = 0
    for table in TenantFixtures.tenantTables {
      guard try await Self.privileges(role, table, database: database).contains("SELECT") else {
        continue
      }
      checked += 1
      let own = try await Self.asRole(
        role,
        tenant: "25",
        database: database,
        "SELECT count(*)::int FROM \(table)"
      )
      let other = try await Self.asRole(
        role,
        tenant: "25",
        database: database,
        "SELECT count(*)::int FROM \(table) WHERE province_code = '70'"
      )
      let unset = try await Self.asRole(
        role,
        tenant: nil,
        database: database,
        "SELECT count(*)::int FROM \(table)"
      )
      #expect(own >= 1, "\(role) sees no rows of its own province in \(table)")
      #expect(other == 0, "\(role) with 25 set sees 70's rows in \(table)")
      #expect(unset == 0, "\(role) with no province sees rows of \(table)")
    }
    #expect(checked > 0)
  }

  @Test(
    "a role with province A set cannot insert B's rows; it can insert A's",
    arguments: SafeMapService.allCases
  )
  func writesAreConfinedToTheProvince(service: SafeMapService) async throws {
    let database = try await Self.seeded.value
    let role = service.databaseRole
    let cluster = try await PostgresCluster.shared()
    for table in TenantFixtures.tenantTables {
      guard try await Self.privileges(role, table, database: database).contains("INSERT") else {
        continue
      }
      // A copy of an existing row of each province, read as the superuser.
      let rows = try await PostgresTesting.withClient(cluster.configuration(database: database)) {
        client,
        logger in
        var json: [String: String] = [:]
        // Generated columns (facility_status.latitude_band) take no value of their own.
        let columnNames = try await client.query(
          PostgresQuery(
            unsafeSQL: """
              SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
              FROM information_schema.columns
              WHERE table_name = '\(table)' AND is_generated = 'NEVER'
              """
          ),
          logger: logger
        )
        for try await list in columnNames.decode(String.self) { json["columns"] = list }
        for province in ["25", "70"] {
          let result = try await client.query(
            PostgresQuery(
              unsafeSQL:
                "SELECT to_jsonb(t)::text FROM \(table) t WHERE province_code = '\(province)' LIMIT 1"
            ),
            logger: logger
          )
          for try await text in result.decode(String.self) { json[province] = text }
        }
        return json
      }
      let insert = { (json: String) in
        "WITH r AS (INSERT INTO \(table) (\(rows["columns"]!)) SELECT \(rows["columns"]!) "
          + "FROM jsonb_populate_record(NULL::\(table), "
          + "'\(json.replacingOccurrences(of: "'", with: "''"))'::jsonb) RETURNING 1) "
          + "SELECT count(*)::int FROM r"
      }
      await #expect(
        "\(role) inserted a row of province 70 into \(table) with 25 set",
        performing: {
          try await Self.asRole(role, tenant: "25", database: database, insert(rows["70"]!))
        },
        throws: { error in
          guard let (state, message) = serverError(error) else { return false }
          return state == "42501" && message.contains("row-level security")
        }
      )
      // The same kind of row for its own province passes the policy and only then meets the
      // primary key: a unique violation, not an RLS refusal.
      await #expect(
        "\(role) could not write its own province's \(table)",
        performing: {
          try await Self.asRole(role, tenant: "25", database: database, insert(rows["25"]!))
        },
        throws: { error in serverError(error)?.state == "23505" }
      )
    }
  }

  @Test("updates cannot reach another province's rows", arguments: SafeMapService.allCases)
  func updatesAreConfinedToTheProvince(service: SafeMapService) async throws {
    let database = try await Self.seeded.value
    let role = service.databaseRole
    for table in TenantFixtures.tenantTables {
      guard try await Self.privileges(role, table, database: database).contains("UPDATE") else {
        continue
      }
      let touched = try await Self.asRole(
        role,
        tenant: "25",
        database: database,
        """
        WITH r AS (UPDATE \(table) SET province_code = province_code
                   WHERE province_code = '70' RETURNING 1)
        SELECT count(*)::int FROM r
        """
      )
      #expect(touched == 0, "\(role) updated 70's rows of \(table) with 25 set")
    }
  }

  @Test("reporting reads every province only under the explicit national setting")
  func nationalReadIsReportingOnly() async throws {
    let database = try await Self.seeded.value
    let national = try await Self.asRole(
      "safemap_reporting",
      tenant: "*",
      database: database,
      "SELECT count(DISTINCT province_code)::int FROM facilities"
    )
    #expect(national == 2)
    let accountNational = try await Self.asRole(
      "safemap_account",
      tenant: "*",
      database: database,
      "SELECT count(*)::int FROM facilities"
    )
    #expect(accountNational == 0)
  }
}
