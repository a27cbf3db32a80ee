import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import SafeMapDatabase

/// `safemap-admin`: the operator's command for the schema and reference data. It connects as
/// the schema owner (`SAFEMAP_ADMIN_DATABASE_URL`), never as a service role.
@main
struct SafeMapAdmin: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "safemap-admin",
    abstract: "Schema migrations, reference data and demo data for SafeMap.",
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
    abstract: "Load demo zones and facilities for Phú Thọ (25) and Bình Phước (70)."
  )

  @OptionGroup var connection: ConnectionOptions

  func run() async throws {
    let count = try await connection.withClient { client, logger in
      try await DemoData.load(client, logger: logger)
    }
    print(count == 0 ? "demo data already present" : "loaded \(count) demo facilities")
  }
}
