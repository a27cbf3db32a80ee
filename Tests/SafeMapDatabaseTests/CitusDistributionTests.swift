import Foundation
import Logging
import PostgresNIO
import SafeMapTestSupport
import Testing

/// Keeps the Citus path of `deploy/citus/` open as the schema grows: Citus can distribute a
/// table by `province_code` only if every key of it includes that column, and a tenant table
/// left out of `distribute.sql` would stay on the coordinator.
@Suite("The Citus path: every tenant table distributes by province")
struct CitusDistributionTests {
  /// Tables that stay local to the coordinator: only the migrator reads them.
  static let coordinatorOnly: Set<String> = ["schema_migrations"]

  /// A tenant table's key, unique index or foreign key without `province_code` on either side.
  struct Violation: Hashable, CustomStringConvertible {
    let table: String
    let constraint: String

    var description: String { "\(table): \(constraint)" }
  }

  /// What the live migrated schema holds: tenant tables (forced row-level security) and the rest.
  struct Schema {
    var tenantTables: Set<String> = []
    var otherTables: Set<String> = []
    var violations: [Violation] = []
  }

  static let schema = Task<Schema, any Error> {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    return try await PostgresTesting.withClient(cluster.configuration(database: database)) {
      client,
      logger in
      var schema = Schema()
      let tables = try await client.query(
        """
        SELECT c.relname, c.relrowsecurity
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        """,
        logger: logger
      )
      for try await (name, tenant) in tables.decode((String, Bool).self) {
        if tenant { schema.tenantTables.insert(name) } else { schema.otherTables.insert(name) }
      }
      // Constraints declared on the parent (partitions' clones have a parent constraint), and
      // unique indexes that back no constraint. A foreign key to another tenant table must hold
      // province_code on both sides, so both rows live on one worker; one to a national table
      // (a catalogue) is allowed because that table is replicated to every worker.
      let violations = try await client.query(
        """
        WITH tenant AS (
          SELECT c.oid, c.relname,
            (SELECT a.attnum FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attname = 'province_code') AS province
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relrowsecurity AND NOT c.relispartition
        )
        SELECT t.relname, con.conname
        FROM tenant t JOIN pg_constraint con ON con.conrelid = t.oid
        WHERE con.conparentid = 0 AND con.contype IN ('p', 'u', 'f', 'x')
          AND (con.contype <> 'f' OR con.confrelid IN (SELECT oid FROM tenant))
          AND (t.province IS NULL OR NOT t.province = ANY (con.conkey)
            OR (con.contype = 'f' AND NOT EXISTS (
              SELECT FROM pg_attribute r
              WHERE r.attrelid = con.confrelid AND r.attname = 'province_code'
                AND r.attnum = ANY (con.confkey))))
        UNION ALL
        SELECT t.relname, i.relname
        FROM tenant t JOIN pg_index x ON x.indrelid = t.oid
          JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indisunique
          AND NOT EXISTS (SELECT FROM pg_constraint con WHERE con.conindid = x.indexrelid)
          AND (t.province IS NULL OR NOT t.province = ANY (x.indkey::int2[]))
        UNION ALL
        SELECT t.relname, 'no province_code column' FROM tenant t WHERE t.province IS NULL
        """,
        logger: logger
      )
      for try await (table, constraint) in violations.decode((String, String).self) {
        schema.violations.append(Violation(table: table, constraint: constraint))
      }
      return schema
    }
  }

  /// `deploy/citus/distribute.sql`, in the order it runs.
  struct Script {
    enum Step: Equatable {
      case reference(String)
      case distributed(String, column: String, colocateWith: String?)
    }
    var steps: [Step] = []

    static func load() throws -> Script {
      let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/citus/distribute.sql")
      return parse(try String(contentsOf: url, encoding: .utf8))
    }

    static func parse(_ text: String) -> Script {
      let reference = /create_reference_table\('([a-z_]+)'\)/
      let distributed =
        /create_distributed_table\('([a-z_]+)',\s*'([a-z_]+)'(?:,\s*colocate_with\s*=>\s*'([a-z_]+)')?\)/
      var script = Script()
      for line in text.split(separator: "\n") where !line.hasPrefix("--") {
        if let match = line.firstMatch(of: reference) {
          script.steps.append(.reference(String(match.1)))
        } else if let match = line.firstMatch(of: distributed) {
          script.steps.append(
            .distributed(
              String(match.1),
              column: String(match.2),
              colocateWith: match.3.map(String.init)
            )
          )
        }
      }
      return script
    }
  }

  @Test("every key, unique index and tenant-to-tenant foreign key includes province_code")
  func keysIncludeTheProvince() async throws {
    let schema = try await Self.schema.value
    #expect(schema.tenantTables.isSuperset(of: ["facilities", "assessments", "audit_events"]))
    #expect(schema.violations == [], "Citus cannot distribute these by province_code")
  }

  @Test("distribute.sql distributes every tenant table by province_code, co-located with the first")
  func everyTenantTableIsDistributed() async throws {
    let schema = try await Self.schema.value
    let script = try Script.load()
    var distributed: [String] = []
    for step in script.steps {
      guard case .distributed(let table, let column, let colocateWith) = step else { continue }
      #expect(column == "province_code", "\(table) is distributed by \(column)")
      if let first = distributed.first {
        #expect(colocateWith == first, "\(table) is co-located with \(first)")
      }
      distributed.append(table)
    }
    #expect(Set(distributed) == schema.tenantTables)
    #expect(distributed.count == Set(distributed).count, "no table is distributed twice")
  }

  @Test("every other table is a reference table, created before the tables that refer to it")
  func everyOtherTableIsReplicated() async throws {
    let schema = try await Self.schema.value
    let script = try Script.load()
    let references = script.steps.compactMap { step -> String? in
      if case .reference(let table) = step { return table } else { return nil }
    }
    #expect(Set(references) == schema.otherTables.subtracting(Self.coordinatorOnly))
    let firstDistributed = script.steps.firstIndex {
      if case .distributed = $0 { return true } else { return false }
    }
    let lastReference = script.steps.lastIndex {
      if case .reference = $0 { return true } else { return false }
    }
    #expect((lastReference ?? -1) < (firstDistributed ?? script.steps.count))
  }

  @Test("the script parser reads both forms and skips comments")
  func parsing() {
    let script = Script.parse(
      """
      -- SELECT create_reference_table('commented');
      SELECT create_reference_table('provinces');
      SELECT create_distributed_table('zones', 'province_code');
      SELECT create_distributed_table('facilities', 'province_code', colocate_with => 'zones');
      """
    )
    #expect(
      script.steps == [
        .reference("provinces"),
        .distributed("zones", column: "province_code", colocateWith: nil),
        .distributed("facilities", column: "province_code", colocateWith: "zones"),
      ]
    )
  }
}
