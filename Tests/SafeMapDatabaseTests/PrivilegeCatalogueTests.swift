import Foundation
import Logging
import PostgresNIO
import SafeMapClient
import SafeMapRuntime
import SafeMapTestSupport
import Testing

/// Least privilege, checked against the live catalogue: each service role holds exactly the
/// privileges README.md's "Database roles" table lists (table-level, or column-level where the
/// table names columns), is neither owner nor superuser, and nobody may create objects.
@Suite("Database privileges")
struct PrivilegeCatalogueTests {
  /// A privilege on a table: `SELECT`, or `SELECT(column)` for a column grant.
  typealias Grants = [String: Set<String>]

  /// README.md's table: rows `| table | account | assessment | reporting |`, cells such as
  /// `SELECT, INSERT` or `SELECT (province_code, account_id)`.
  static func documentedGrants() throws -> [String: Grants] {
    let readme = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("README.md")
    let text = try String(contentsOf: readme, encoding: .utf8)
    guard
      let start = text.range(
        of: "| table | safemap_account | safemap_assessment | safemap_reporting |"
      )
    else { throw Missing(what: "README.md has no table of roles × tables × privileges") }
    let roles = ["safemap_account", "safemap_assessment", "safemap_reporting"]
    var result: [String: Grants] = [:]
    for line in text[start.upperBound...].split(separator: "\n").dropFirst() {
      guard line.hasPrefix("|") else { break }
      let cells = line.split(separator: "|", omittingEmptySubsequences: false)
        .map { $0.trimmingCharacters(in: .whitespaces) }
      guard cells.count >= 5 else { continue }
      let table = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
      for (index, role) in roles.enumerated() {
        for privilege in parse(cells[2 + index]) {
          result[role, default: [:]][table, default: []].insert(privilege)
        }
      }
    }
    return result
  }

  /// `SELECT, INSERT` → {SELECT, INSERT}; `SELECT (a, b)` → {SELECT(a), SELECT(b)}.
  static func parse(_ cell: String) -> [String] {
    var privileges: [String] = []
    var rest = Substring(cell)
    while !rest.isEmpty {
      rest = rest.drop(while: { $0 == " " || $0 == "," })
      let name = rest.prefix(while: { $0.isLetter })
      guard !name.isEmpty else { break }
      rest = rest.dropFirst(name.count).drop(while: { $0 == " " })
      if rest.first == "(", let close = rest.firstIndex(of: ")") {
        let columns = rest[rest.index(after: rest.startIndex)..<close].split(separator: ",")
        privileges += columns.map { "\(name)(\($0.trimmingCharacters(in: .whitespaces)))" }
        rest = rest[rest.index(after: close)...]
      } else {
        privileges.append(String(name))
      }
    }
    return privileges
  }

  struct Missing: Error, CustomStringConvertible {
    var what: String
    var description: String { what }
  }

  @Test(
    "each service role holds exactly README's privileges and is neither owner nor superuser",
    arguments: SafeMapService.allCases
  )
  func rolesHoldDocumentedPrivileges(service: SafeMapService) async throws {
    let documented = try Self.documentedGrants()
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let role = service.databaseRole
    let live = try await PostgresTesting.withClient(cluster.configuration(database: database)) {
      client,
      logger in
      var grants: Grants = [:]
      // Table-level grants, on parents and partitions alike.
      for try await (table, privilege) in try await client.query(
        """
        SELECT table_name::text, privilege_type::text FROM information_schema.role_table_grants
        WHERE grantee = \(role)
        """,
        logger: logger
      ).decode((String, String).self) {
        grants[table, default: []].insert(privilege)
      }
      // Column grants that are not implied by a table grant.
      for try await (table, column, privilege) in try await client.query(
        """
        SELECT c.table_name::text, c.column_name::text, c.privilege_type::text
        FROM information_schema.column_privileges c
        WHERE c.grantee = \(role) AND NOT EXISTS (
          SELECT FROM information_schema.role_table_grants t
          WHERE t.grantee = c.grantee AND t.table_name = c.table_name
            AND t.privilege_type = c.privilege_type)
        """,
        logger: logger
      ).decode((String, String, String).self) {
        grants[table, default: []].insert("\(privilege)(\(column))")
      }
      return grants
    }
    #expect(live == documented[role] ?? [:])
  }

  @Test("no role may create objects, and service roles are not owners or superusers")
  func nobodyCreates() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    try await PostgresTesting.withClient(cluster.configuration(database: database)) {
      client,
      logger in
      for service in SafeMapService.allCases {
        let role = service.databaseRole
        let rows = try await client.query(
          """
          SELECT has_schema_privilege(\(role), 'public', 'CREATE'), r.rolsuper, r.rolbypassrls,
            r.rolcreatedb, r.rolcreaterole,
            (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid),
            has_function_privilege(\(role), 'safemap_make_tenant_table(text)', 'EXECUTE')
          FROM pg_roles r WHERE r.rolname = \(role)
          """,
          logger: logger
        )
        for try await (create, superuser, bypass, createDB, createRole, owned, helper)
          in rows.decode(
            (Bool, Bool, Bool, Bool, Bool, Int, Bool).self
          )
        {
          #expect(!create, "\(role) may create in schema public")
          #expect(!superuser && !bypass && !createDB && !createRole, "\(role) has role attributes")
          #expect(owned == 0, "\(role) owns relations")
          #expect(!helper, "\(role) may run the migration helpers")
        }
      }
    }
  }

  @Test("the reporting role cannot read any secret")
  func reportingReadsNoSecret() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    try await PostgresTesting.withClient(cluster.configuration(database: database)) {
      client,
      logger in
      let secrets = [
        ("accounts", "password_hash"), ("accounts", "one_time_password_expires_at"),
        ("refresh_tokens", "secret_hash"), ("login_throttle", "throttle_key"),
        ("account_directory", "username_key"),
      ]
      for (table, column) in secrets {
        let rows = try await client.query(
          "SELECT has_column_privilege('safemap_reporting', \(table), \(column), 'SELECT')",
          logger: logger
        )
        for try await allowed in rows.decode(Bool.self) {
          #expect(!allowed, "reporting may read \(table).\(column)")
        }
      }
    }
    // And as the role itself, the hash column is refused outright.
    try await PostgresTesting.withClient(
      cluster.configuration(database: database, user: "safemap_reporting")
    ) { client, logger in
      await #expect(throws: PSQLError.self) {
        try await client.query("SELECT password_hash FROM accounts LIMIT 1", logger: logger)
      }
    }
  }
}
