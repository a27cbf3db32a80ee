import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import SafeMapAPI
import SafeMapClient
import SafeMapDatabase
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Synchronization

/// account-service under load, through the real gRPC stack over TCP against a private
/// PostgreSQL: bulk issuance of 10,000 accounts in one stream, then concurrent logins (Argon2id)
/// with WhoAmI latency measured while the hashing pool is saturated, then account-service's
/// resident memory over one 100,000-row issuance stream (the real executable, in its own
/// process).
///
/// Run with `make bench-account` (a release build). The last line is the issuance figure.
@main
enum AccountBenchmark {
  static let rows = Int(ProcessInfo.processInfo.environment["BENCH_ROWS"] ?? "") ?? 10_000
  static let loginSeconds =
    Double(ProcessInfo.processInfo.environment["BENCH_LOGIN_SECONDS"] ?? "") ?? 10
  static let loginConcurrency = 8

  static func main() async throws {
    try await run()
  }

  /// Off the main actor: the load runs in concurrent tasks.
  nonisolated static func run() async throws {
    #if DEBUG
      print("warning: debug build; run `make bench-account` for release figures")
    #else
      print("build: release")
    #endif
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores")
    let managed = try await ManagedCluster.start()
    defer { Task { await managed.destroy() } }
    let cluster = PostgresCluster(managed: managed)
    try await cluster.createMigratedDatabase("bench")
    var environment = TestKeys.environment
    environment["SAFEMAP_BOOTSTRAP_ADMIN"] = "bench.admin"
    environment["SAFEMAP_BOOTSTRAP_PASSWORD"] = "bench admin password"
    var config = TestServices.configuration(.account, cluster: cluster, database: "bench")
    config.database.maximumConnections = 20
    let service = try await TestServices.start(
      .account,
      configuration: config,
      environment: environment
    )

    try await withLocalClient(port: service.port) { client in
      let accounts = Safemap_Account_V1_AccountService.Client(wrapping: client)
      let facilities = Safemap_Account_V1_FacilityService.Client(wrapping: client)
      let admin = try await bearer(
        accounts.login(
          .with {
            $0.username = "bench.admin"; $0.password = "bench admin password"
          }
        ).tokens.accessToken
      )

      // Issuance: one stream of `rows` rows for Phú Thọ.
      let districts = [
        "227", "228", "230", "231", "232", "233", "234", "235", "236", "237", "238", "239", "240",
      ]
      let started = ContinuousClock.now
      let results = try await facilities.issueFacilityAccounts(
        metadata: admin,
        requestProducer: { writer in
          try await writer.write(
            .with {
              $0.options = .with {
                $0.provinceCode = "25"; $0.note = "benchmark"
                $0.credentialDelivery = .issuerSheet
              }
            }
          )
          for n in 0..<rows {
            try await writer.write(
              .with {
                $0.row = .with { row in
                  row.rowNumber = Int32(n + 1)
                  row.facility = .with {
                    $0.name = "Cơ sở sản xuất \(n)"
                    $0.taxCode = String(format: "25%08d", n)
                    $0.districtCode = districts[n % districts.count]
                    $0.workerCount = Int32(50 + n % 900)
                    $0.workshopAreaM2 = Double(500 + n % 4000)
                    $0.contactPhone = "0210 3845 445"
                    $0.location = .with {
                      $0.latitude = 21.2 + Double(n % 100) / 500; $0.longitude = 105.2
                    }
                  }
                }
              }
            )
          }
        }
      ) { response in
        var issued: [Safemap_Account_V1_IssuanceResult] = []
        for try await message in response.messages {
          if case .result(let result) = message.item, result.outcome == .issued {
            issued.append(result)
          }
        }
        return issued
      }
      let issuanceSeconds = (ContinuousClock.now - started).seconds

      // Logins: facility accounts that have set a real (Argon2id) password.
      let users = Array(results.prefix(32))
      for user in users {
        let first = try await accounts.login(
          .with {
            $0.username = user.username; $0.password = user.initialPassword
          }
        )
        _ = try await accounts.changePassword(
          .with {
            $0.currentPassword = user.initialPassword; $0.newPassword = "benchmark \(user.username)"
          },
          metadata: bearer(first.tokens.accessToken)
        )
      }
      let whoAmIToken = try await bearer(
        accounts.login(
          .with {
            $0.username = users[0].username; $0.password = "benchmark \(users[0].username)"
          }
        ).tokens.accessToken
      )
      _ = try await accounts.whoAmI(.init(), metadata: whoAmIToken)

      let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int64(loginSeconds * 1000)))
      let loginLatencies = Samples()
      let whoAmILatencies = Samples()
      try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<loginConcurrency {
          group.addTask {
            var n = worker
            while ContinuousClock.now < deadline {
              let user = users[n % users.count]
              n += loginConcurrency
              let start = ContinuousClock.now
              _ = try await accounts.login(
                .with {
                  $0.username = user.username; $0.password = "benchmark \(user.username)"
                }
              )
              let ms = (ContinuousClock.now - start).seconds * 1000
              loginLatencies.add(ms)
            }
          }
        }
        group.addTask {
          try await Task.sleep(for: .milliseconds(500))  // let the hashing pool fill up first
          while ContinuousClock.now < deadline {
            let start = ContinuousClock.now
            _ = try await accounts.whoAmI(.init(), metadata: whoAmIToken)
            whoAmILatencies.add((ContinuousClock.now - start).seconds * 1000)
            try await Task.sleep(for: .milliseconds(10))
          }
        }
        try await group.waitForAll()
      }
      let logins = loginLatencies.values
      let whoAmIs = whoAmILatencies.values
      print(
        String(
          format: "whoami_during_logins: calls=%d p50_ms=%.1f p99_ms=%.1f",
          whoAmIs.count,
          whoAmILatencies.percentile(0.5),
          whoAmILatencies.percentile(0.99)
        )
      )
      print(
        String(
          format: "login: concurrency=%d per_s=%.1f p99_ms=%.1f",
          loginConcurrency,
          Double(logins.count) / loginSeconds,
          loginLatencies.percentile(0.99)
        )
      )
      print(try await issuanceMemory(cluster: cluster))
      print(
        String(
          format: "issuance: rows=%d seconds=%.2f rows_per_s=%.0f",
          results.count,
          issuanceSeconds,
          Double(results.count) / issuanceSeconds
        )
      )
    }
    try await service.stop()
  }

  static func bearer(_ token: String) -> Metadata { ["authorization": "Bearer \(token)"] }

}
