import GRPCCore
import Testing

@testable import SafeMapDatabase

@Suite("SQL scripts and configuration")
struct SQLScriptTests {
  @Test("statements split on semicolons outside strings, comments and dollar quotes")
  func splitting() {
    let script = """
      -- a comment; with a semicolon
      CREATE TABLE a (x text DEFAULT 'semi;colon');
      /* block; comment */ INSERT INTO a VALUES ('it''s; fine');
      CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$
      BEGIN PERFORM 1; END $$;
      DO $body$ BEGIN RAISE NOTICE 'x;y'; END $body$;
      SELECT $1::text;
      """
    let statements = SQLScript.statements(script)
    #expect(statements.count == 5)
    #expect(statements[0].hasSuffix("DEFAULT 'semi;colon')"))
    #expect(statements[1].contains("'it''s; fine'"))
    #expect(statements[2].hasSuffix("BEGIN PERFORM 1; END $$"))
    #expect(statements[3].contains("'x;y'"))
    #expect(statements[4] == "SELECT $1::text")
  }

  @Test("the shipped migrations split into statements")
  func shippedMigrationsSplit() throws {
    for migration in try Migration.bundled() {
      let statements = SQLScript.statements(migration.sql)
      #expect(!statements.isEmpty)
      #expect(statements.allSatisfy { !$0.hasSuffix(";") })
    }
  }

  @Test("database URLs: user, password, port, database and sslmode")
  func databaseURL() throws {
    let full = try DatabaseConfiguration(
      url: "postgres://svc:p%40ss@db.internal:6432/safemap_prod?sslmode=require",
      defaultUsername: "safemap_account"
    )
    #expect(full.host == "db.internal")
    #expect(full.port == 6432)
    #expect(full.username == "svc")
    #expect(full.password == "p@ss")
    #expect(full.database == "safemap_prod")
    #expect(full.tls == .require)
    let bare = try DatabaseConfiguration(url: "postgresql://127.0.0.1", defaultUsername: "r")
    #expect(bare.username == "r" && bare.port == 5432 && bare.database == "safemap")
    #expect(throws: DatabaseConfiguration.InvalidURL.self) {
      try DatabaseConfiguration(url: "mysql://x", defaultUsername: "r")
    }
    #expect(throws: DatabaseConfiguration.InvalidURL.self) {
      try DatabaseConfiguration(url: "postgres://h/db?sslmode=maybe", defaultUsername: "r")
    }
  }

  @Test("SQLSTATEs map to the gRPC codes clients act on")
  func sqlStates() {
    #expect(DatabaseError.code(forSQLState: "23505") == .alreadyExists)
    #expect(DatabaseError.code(forSQLState: "23503") == .failedPrecondition)
    #expect(DatabaseError.code(forSQLState: "23514") == .invalidArgument)
    #expect(DatabaseError.code(forSQLState: "42501") == .permissionDenied)
    #expect(DatabaseError.code(forSQLState: "40001") == .aborted)
    #expect(DatabaseError.code(forSQLState: "57014") == .deadlineExceeded)
    #expect(DatabaseError.code(forSQLState: "57P01") == .unavailable)
    #expect(DatabaseError.code(forSQLState: "08006") == .unavailable)
    #expect(DatabaseError.code(forSQLState: "42P01") == nil)
  }

  @Test("CSV fields with quotes and commas")
  func csvFields() {
    #expect(
      CSV.fields("227,25,Việt Trì,Thành phố Việt Trì") == [
        "227", "25", "Việt Trì", "Thành phố Việt Trì",
      ]
    )
    #expect(CSV.fields("1,\"a, \"\"b\"\"\",c") == ["1", "a, \"b\"", "c"])
  }
}
