import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import SafeMapAuth
import SafeMapDatabase
import SafeMapDemo

/// `safemap-admin`: the operator's command for the schema and reference data. It connects as
/// the schema owner (`SAFEMAP_ADMIN_DATABASE_URL`), never as a service role.
@main
struct SafeMapAdmin: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "safemap-admin",
    abstract: "Schema migrations, reference data, the national demo and health checks for SafeMap.",
    subcommands: [Migrate.self, ImportDistricts.self, SeedDemo.self, HealthCheck.self]
  )
}

/// Options shared by every subcommand.
struct ConnectionOptions: ParsableArguments {
  @Option(
    name: .customLong("database-url"),
    help:
      "Owner connection URL (default: $SAFEMAP_ADMIN_DATABASE_URL or postgres://postgres@127.0.0.1:5432/safemap)"
  )
  var databaseURL: String?

  /// Runs `body` with a connected pool, then closes it.
  func withClient<R: Sendable>(
    _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> R
  ) async throws -> R {
    let url =
      databaseURL ?? ProcessInfo.processInfo.environment["SAFEMAP_ADMIN_DATABASE_URL"]
      ?? "postgres://postgres@127.0.0.1:5432/safemap"
    var logger = Logger(label: "safemap-admin")
    logger.logLevel = .info
    let config = try DatabaseConfiguration(url: url, defaultUsername: "postgres")
    let client = PostgresClient(
      configuration: try config.clientConfiguration(applicationName: "safemap-admin"),
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

struct Migrate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Apply pending migrations (under an advisory lock; refuses changed ones)."
  )

  @OptionGroup var connection: ConnectionOptions

  func run() async throws {
    let applied = try await connection.withClient { client, logger in
      try await Migrator(migrations: try Migration.bundled(), logger: logger).migrate(client)
    }
    print(applied.isEmpty ? "schema up to date" : "applied: \(applied.joined(separator: ", "))")
  }
}

struct ImportDistricts: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Load the official district list from a CSV (code,province_code,name,full_name)."
  )

  @OptionGroup var connection: ConnectionOptions

  @Argument(help: "Path of the CSV file.")
  var csvPath: String

  func run() async throws {
    let csv = try String(contentsOfFile: csvPath, encoding: .utf8)
    let report = try await connection.withClient { client, logger in
      try await client.withConnection { connection in
        try await ReferenceData.importDistricts(csv: csv, on: connection, logger: logger)
      }
    }
    print("imported \(report.imported) districts")
    for line in report.rejected { print("rejected \(line)") }
    if !report.rejected.isEmpty { throw ExitCode(2) }
  }
}

struct SeedDemo: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "seed-demo",
    abstract: "Load the national demo through the running services (make run does this once).",
    discussion: """
      Every province: an officer and a health inspector, zones, facilities with locations
      issued in bulk, weeks of assessments at every level, some suspended, closed, overdue
      or inspected, and an open campaign. Then, as the schema owner, the assessments move back
      to the weeks they were planned for. Does nothing if the database already has facilities.

      Example:
        safemap-admin seed-demo --facilities 20000 --admin-password-file .data/secrets/admin-password \
          --officer-password-file .data/secrets/officer-password --signing-key-file .data/signing-keys
      """
  )

  @OptionGroup var connection: ConnectionOptions
  @Option(help: "Facilities over the 63 provinces.") var facilities = 20_000
  @Option(help: "Weeks of history.") var weeks = 4
  @Option(help: "The services' host (ports 50051–50053).") var host = "127.0.0.1"
  @Option(help: "The ministry admin's username.") var admin = "admin"
  @Option(help: "File holding the ministry admin's password.") var adminPasswordFile: String
  @Option(help: "File holding the password to give the featured province's officer.")
  var officerPasswordFile: String
  @Option(help: "account-service's signing keys (it writes them there when none are configured).")
  var signingKeyFile: String
  @Option(help: "The province whose officer's password is set.") var province = "74"

  func run() async throws {
    func read(_ path: String) throws -> String {
      try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(
        in: .whitespacesAndNewlines
      )
    }
    var configuration = NationalDemo.Configuration(
      adminUsername: admin,
      adminPassword: try read(adminPasswordFile),
      signingKeys: try SigningKeyFile.parse(try read(signingKeyFile)),
      officerPassword: try read(officerPasswordFile)
    )
    configuration.facilities = facilities
    configuration.weeks = weeks
    configuration.host = host
    configuration.featuredProvince = province
    let demo = configuration
    let outcome: NationalDemo.Outcome? = try await connection.withClient { client, logger in
      if try await NationalDemo.isLoaded(owner: client, logger: logger) { return nil }
      print("demo: loading \(demo.facilities) facilities and \(demo.weeks) weeks of history")
      let started = ContinuousClock.now
      let outcome = try await NationalDemo(configuration: demo, logger: logger).load(owner: client)
      {
        line in
        print("demo: \(line)")
        // A line per province as it is done, also when make run's output goes to a file.
        fflush(nil)
      }
      print("demo: done in \(ContinuousClock.now - started)")
      return outcome
    }
    guard let outcome else { return print("demo data already present") }
    let levels = outcome.levels.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
    print(
      "demo: \(outcome.provinces) provinces, \(outcome.facilities) facilities, "
        + "\(outcome.submissions) assessments (\(levels.joined(separator: ", "))), "
        + "\(outcome.suspended) suspended or closed, \(outcome.inspections) inspections, "
        + "\(outcome.campaigns) campaigns"
    )
  }
}
