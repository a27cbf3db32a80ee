import Foundation
import Logging
import PostgresNIO
import SafeMapDatabase
import Synchronization

/// A throwaway PostgreSQL cluster for the test process: initdb into a temporary folder, a free
/// port, started once, stopped and removed when the process exits. A migrated template database
/// is cloned for each suite (`CREATE DATABASE … TEMPLATE`, ~0.1 s).
///
/// With `SAFEMAP_TEST_DATABASE_URL` (an owner/superuser URL) the tests use that server instead
/// and create their databases there.
public final class PostgresCluster: Sendable {
  public let host: String
  public let port: Int
  /// Superuser for creating databases; the service roles connect without passwords (trust on
  /// the throwaway cluster).
  public let superuser: String
  public let superuserPassword: String?
  /// Present when this process started the cluster.
  public let managed: ManagedCluster?

  static let templateName = "safemap_template"
  private static let counter = Mutex(0)

  /// The cluster of this test process, started (and the template migrated) on first use.
  public static func shared() async throws -> PostgresCluster {
    try await sharedTask.value
  }

  private static let sharedTask = Task<PostgresCluster, any Error> {
    let cluster: PostgresCluster
    if let url = ProcessInfo.processInfo.environment["SAFEMAP_TEST_DATABASE_URL"], !url.isEmpty {
      let config = try DatabaseConfiguration(url: url, defaultUsername: "postgres")
      cluster = PostgresCluster(
        host: config.host,
        port: config.port,
        superuser: config.username,
        superuserPassword: config.password,
        managed: nil
      )
    } else {
      let managed = try await ManagedCluster.start()
      cluster = PostgresCluster(
        host: "127.0.0.1",
        port: managed.port,
        superuser: "postgres",
        superuserPassword: nil,
        managed: managed
      )
    }
    try await cluster.createTemplate()
    return cluster
  }

  /// A cluster started by this test (not shared), without a template.
  public convenience init(managed: ManagedCluster) {
    self.init(
      host: "127.0.0.1",
      port: managed.port,
      superuser: "postgres",
      superuserPassword: nil,
      managed: managed
    )
  }

  init(
    host: String,
    port: Int,
    superuser: String,
    superuserPassword: String?,
    managed: ManagedCluster?
  ) {
    self.host = host
    self.port = port
    self.superuser = superuser
    self.superuserPassword = superuserPassword
    self.managed = managed
  }

  /// A connection configuration for `database` as `user` (the superuser by default).
  public func configuration(database: String, user: String? = nil) -> DatabaseConfiguration {
    let asSuperuser = user == nil || user == superuser
    // The superuser sets up and inspects (CREATE DATABASE queues behind the others under a
    // full test run): no statement timeout. Service roles keep the services' default.
    return DatabaseConfiguration(
      host: host,
      port: port,
      database: database,
      username: user ?? superuser,
      password: asSuperuser ? superuserPassword : nil,
      tls: .disable,
      maximumConnections: 8,
      statementTimeoutMilliseconds: asSuperuser ? 0 : 10_000
    )
  }

  /// A new, empty database (no schema).
  public func makeEmptyDatabase() async throws -> String {
    let name = Self.nextName()
    try await superuserQuery("CREATE DATABASE \(name)")
    return name
  }

  /// A new database with every migration applied.
  public func makeMigratedDatabase() async throws -> String {
    let name = Self.nextName()
    // The template's migration session may still be closing ("being accessed by other
    // users"): it goes away within moments.
    for attempt in 1... {
      do {
        try await superuserQuery("CREATE DATABASE \(name) TEMPLATE \(Self.templateName)")
        return name
      } catch let failure as Shell.Failure
        where failure.description.contains("55006") && attempt < 50
      {
        try await Task.sleep(for: .milliseconds(100))
      }
    }
    fatalError("unreachable")
  }

  /// A database of the given name with every migration applied directly (no template), for
  /// clusters started by one test or benchmark.
  public func createMigratedDatabase(_ name: String) async throws {
    try await superuserQuery("CREATE DATABASE \(name)")
    try await PostgresTesting.withClient(configuration(database: name)) { client, logger in
      try await Migrator(migrations: try Migration.bundled(), logger: logger).migrate(client)
    }
  }

  private static func nextName() -> String {
    let n = counter.withLock { value -> Int in
      value += 1
      return value
    }
    return "safemap_test_\(getpid())_\(n)"
  }

  private func createTemplate() async throws {
    try await superuserQuery("DROP DATABASE IF EXISTS \(Self.templateName)")
    try await superuserQuery("CREATE DATABASE \(Self.templateName)")
    try await PostgresTesting.withClient(configuration(database: Self.templateName)) {
      client,
      logger in
      try await Migrator(migrations: try Migration.bundled(), logger: logger).migrate(client)
    }
  }

  /// Runs a statement as the superuser on the `postgres` database (CREATE DATABASE cannot run
  /// in a transaction or against the database being copied).
  private func superuserQuery(_ sql: String) async throws {
    do {
      try await PostgresTesting.withClient(configuration(database: "postgres")) { client, logger in
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
      }
    } catch {
      // PSQLError's description is redacted; a failed set-up step should say what happened.
      throw Shell.Failure(description: "\(sql): \(String(reflecting: error))")
    }
  }
}

/// Scoped PostgreSQL clients for tests.
public enum PostgresTesting {
  /// Runs `body` with a running pool, closed afterwards.
  public static func withClient<R: Sendable>(
    _ configuration: DatabaseConfiguration,
    _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> R
  ) async throws -> R {
    var logger = Logger(label: "test.postgres")
    // .error: the pool warns when a lease races its own start, which is harmless here.
    logger.logLevel = .error
    let client = PostgresClient(
      configuration: try configuration.clientConfiguration(applicationName: "safemap-tests"),
      backgroundLogger: logger
    )
    return try await withThrowingTaskGroup(of: R?.self) { group in
      group.addTask {
        await client.run()
        return nil
      }
      defer { group.cancelAll() }
      return try await body(client, logger)
    }
  }
}
