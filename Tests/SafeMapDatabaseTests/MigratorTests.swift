import Logging
import PostgresNIO
import SafeMapDatabase
import SafeMapTestSupport
import Testing

@Suite("Migrations")
struct MigratorTests {
  let logger: Logger = {
    var logger = Logger(label: "test.migrator")
    logger.logLevel = .warning
    return logger
  }()

  @Test("an empty database gets every migration, and a second run applies nothing")
  func migrateEmptyThenAgain() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeEmptyDatabase()
    let bundled = try Migration.bundled()
    let logger = self.logger
    try await PostgresTesting.withClient(cluster.configuration(database: database)) { client, _ in
      let migrator = Migrator(migrations: bundled, logger: logger)
      let first = try await migrator.migrate(client)
      #expect(first == bundled.map(\.name))
      #expect(first.first == "0001_reference.sql")
      let second = try await migrator.migrate(client)
      #expect(second.isEmpty)
      let recorded = try await client.query(
        "SELECT count(*) FROM schema_migrations",
        logger: logger
      ).decode(Int.self).reduce(0, +)
      #expect(recorded == bundled.count)
      let provinces = try await client.query(
        "SELECT count(*) FROM provinces",
        logger: logger
      ).decode(Int.self).reduce(0, +)
      #expect(provinces == 63)
    }
  }

  @Test("an applied migration whose file changed is refused and nothing else is applied")
  func changedMigrationRefused() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    var edited = try Migration.bundled()
    edited[1] = Migration(
      version: edited[1].version,
      name: edited[1].name,
      sql: edited[1].sql + "\n-- edited\n"
    )
    let changedName = edited[1].name
    let migrations = edited
    let extra = Migration(version: 9999, name: "9999_extra.sql", sql: "CREATE TABLE extra (x int)")
    let logger = self.logger
    try await PostgresTesting.withClient(cluster.configuration(database: database)) { client, _ in
      let migrator = Migrator(migrations: migrations + [extra], logger: logger)
      await #expect {
        try await migrator.migrate(client)
      } throws: { error in
        guard case .changed(let name, _, _) = error as? MigrationError else { return false }
        return name == changedName
      }
      let extraExists = try await client.query(
        "SELECT count(*) FROM pg_tables WHERE tablename = 'extra'",
        logger: logger
      ).decode(Int.self).reduce(0, +)
      #expect(extraExists == 0)
    }
  }

  @Test("a database with a migration this build does not know is refused")
  func unknownAppliedMigrationRefused() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let logger = self.logger
    try await PostgresTesting.withClient(cluster.configuration(database: database)) { client, _ in
      try await client.query(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (8888, 'future.sql', 'x')",
        logger: logger
      )
      await #expect(throws: MigrationError.unknownApplied(version: 8888, name: "future.sql")) {
        try await Migrator(migrations: try Migration.bundled(), logger: logger).migrate(client)
      }
    }
  }

  @Test("two migrators started together apply each migration exactly once")
  func concurrentMigratorsSerialise() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeEmptyDatabase()
    let bundled = try Migration.bundled()
    let logger = self.logger
    let configuration = cluster.configuration(database: database)
    async let a = PostgresTesting.withClient(configuration) { client, _ in
      try await Migrator(migrations: bundled, logger: logger).migrate(client)
    }
    async let b = PostgresTesting.withClient(configuration) { client, _ in
      try await Migrator(migrations: bundled, logger: logger).migrate(client)
    }
    let (first, second) = try await (a, b)
    #expect((first + second).sorted() == bundled.map(\.name).sorted())
  }

  @Test("every tenant table has one partition per province plus the national one, and forced RLS")
  func tenantTablesArePartitionedWithForcedRLS() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let logger = self.logger
    try await PostgresTesting.withClient(cluster.configuration(database: database)) { client, _ in
      let rows = try await client.query(
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               (SELECT count(*)::int FROM pg_inherits i WHERE i.inhparent = c.oid)
        FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
        ORDER BY c.relname
        """,
        logger: logger
      )
      var tables: [String] = []
      for try await (name, enabled, forced, partitions) in rows.decode(
        (String, Bool, Bool, Int).self
      ) {
        tables.append(name)
        #expect(enabled, "RLS not enabled on \(name)")
        #expect(forced, "RLS not forced on \(name)")
        #expect(partitions == 64, "\(name) has \(partitions) partitions")
      }
      #expect(Set(tables) == Set(TenantFixtures.tenantTables))
    }
  }
}
