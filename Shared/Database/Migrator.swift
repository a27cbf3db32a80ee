public import Crypto
import Foundation
public import Logging
public import PostgresNIO

/// One versioned schema change: a SQL file `NNNN_name.sql` shipped as a resource.
public struct Migration: Sendable, Hashable {
  public var version: Int
  public var name: String
  public var sql: String
  /// SHA-256 of the file, recorded when applied; a changed file is refused.
  public var checksum: String

  public init(version: Int, name: String, sql: String) {
    self.version = version
    self.name = name
    self.sql = sql
    self.checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }
      .joined()
  }

  /// The migrations shipped with SafeMap, in version order.
  public static func bundled() throws -> [Migration] {
    guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
      throw MigrationError.missingResources
    }
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".sql") }.sorted()
    return try files.map { file in
      guard let version = Int(file.prefix(while: { $0.isNumber })) else {
        throw MigrationError.badFileName(file)
      }
      let sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
      return Migration(version: version, name: file, sql: sql)
    }
  }
}

public enum MigrationError: Error, Equatable, CustomStringConvertible {
  case missingResources
  case badFileName(String)
  /// An applied migration's file differs from what was applied.
  case changed(name: String, applied: String, now: String)
  /// The database has a migration this build does not know (it is older than the schema).
  case unknownApplied(version: Int, name: String)

  public var description: String {
    switch self {
    case .missingResources: return "migration files are missing from the bundle"
    case .badFileName(let f): return "migration file \(f) does not start with a version number"
    case .changed(let name, let applied, let now):
      return "migration \(name) was changed after it was applied "
        + "(applied checksum \(applied.prefix(12)), file \(now.prefix(12))); "
        + "add a new migration instead of editing an applied one"
    case .unknownApplied(let version, let name):
      return "the database has migration \(version) (\(name)) that this build does not know"
    }
  }
}

/// Applies pending migrations, one transaction each, under a PostgreSQL advisory lock so that
/// several replicas starting at once migrate exactly once.
///
/// Runs as the schema owner (not as a service role). Applied migrations are recorded in
/// `schema_migrations` with their checksum; before anything is applied every recorded checksum
/// is compared with the file, and any difference stops the run.
public struct Migrator: Sendable {
  /// Key of the advisory lock ("SafeMap" in ASCII).
  static let lockKey: Int64 = 0x5361_6665_4d61_70

  public let migrations: [Migration]
  public let logger: Logger

  public init(migrations: [Migration], logger: Logger) {
    self.migrations = migrations.sorted { $0.version < $1.version }
    self.logger = logger
  }

  /// Returns the names of the migrations applied by this run.
  @discardableResult
  public func migrate(_ client: PostgresClient) async throws -> [String] {
    try await client.withConnection { connection in
      try await migrate(on: connection)
    }
  }

  public func migrate(on connection: PostgresConnection) async throws -> [String] {
    // Schema changes may legitimately run long, and a second replica waits for the first one's
    // lock: the session's statement timeout (meant for requests) is lifted while migrating.
    try await connection.query("SET statement_timeout = 0", logger: logger)
    try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
    do {
      let applied = try await migrateLocked(connection)
      try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
      try await connection.query("RESET statement_timeout", logger: logger)
      return applied
    } catch {
      _ = try? await connection.query(
        "SELECT pg_advisory_unlock(\(Self.lockKey))",
        logger: logger
      )
      _ = try? await connection.query("RESET statement_timeout", logger: logger)
      throw error
    }
  }

  private func migrateLocked(_ connection: PostgresConnection) async throws -> [String] {
    try await connection.query(
      """
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())
      """,
      logger: logger
    )
    var recorded: [Int: (name: String, checksum: String)] = [:]
    let rows = try await connection.query(
      "SELECT version, name, checksum FROM schema_migrations",
      logger: logger
    )
    for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
      recorded[version] = (name, checksum)
    }
    let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
    for (version, entry) in recorded.sorted(by: { $0.key < $1.key }) {
      guard let migration = known[version] else {
        throw MigrationError.unknownApplied(version: version, name: entry.name)
      }
      guard migration.checksum == entry.checksum else {
        throw MigrationError.changed(
          name: migration.name,
          applied: entry.checksum,
          now: migration.checksum
        )
      }
    }
    var appliedNow: [String] = []
    for migration in migrations where recorded[migration.version] == nil {
      let statements = SQLScript.statements(migration.sql)
      try await connection.withTransaction(logger: logger) { tx in
        for statement in statements {
          try await tx.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        try await tx.query(
          """
          INSERT INTO schema_migrations (version, name, checksum)
          VALUES (\(migration.version), \(migration.name), \(migration.checksum))
          """,
          logger: logger
        )
      }
      logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
      appliedNow.append(migration.name)
    }
    return appliedNow
  }
}
