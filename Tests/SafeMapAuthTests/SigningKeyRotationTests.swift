import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapClient
import SafeMapCore
import SafeMapRuntime
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// Keys account-service is no longer configured with are retired for good, and their tokens are
/// refused by every service within one key-refresh interval.
@Suite("Signing key retirement")
struct SigningKeyRotationTests {
  static func startAccount(
    keys: [PrivateSigningKey],
    cluster: PostgresCluster,
    database: String
  ) async throws -> RunningService {
    var configuration = TestServices.configuration(.account, cluster: cluster, database: database)
    configuration.keyRefreshIntervalSeconds = 1
    return try await TestServices.start(
      .account,
      configuration: configuration,
      environment: ["SAFEMAP_SIGNING_KEYS": SigningKeyFile.render(keys)]
    )
  }

  /// Calls an authenticated RPC: account-service's ListZones, or reporting-service's national
  /// summary; passing authentication is what counts (a refusal for scope still passed it).
  static func authenticated(_ token: String, port: Int, reporting: Bool) async throws -> Bool {
    do {
      try await withLocalClient(port: port) { client in
        let metadata: Metadata = ["authorization": "Bearer \(token)"]
        if reporting {
          _ = try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
            .getNationalSummary(.init(), metadata: metadata)
        } else {
          _ = try await Safemap_Account_V1_FacilityService.Client(wrapping: client)
            .listZones(.with { $0.provinceCode = "25" }, metadata: metadata)
        }
      }
      return true
    } catch let error as RPCError where error.code == .unauthenticated {
      return false
    } catch is RPCError {
      return true
    }
  }

  @Test("a replica still configured with an older key set cannot retire a newer key")
  func laggingReplicaKeepsNewerKey() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let old = PrivateSigningKey.generate()
    let new = PrivateSigningKey.generate()
    let first = try await Self.startAccount(keys: [old], cluster: cluster, database: database)
    // The rollout: the new key signs, the old one still verifies.
    let rolled = try await Self.startAccount(
      keys: [new, old],
      cluster: cluster,
      database: database
    )
    // A replica the rollout has not reached yet starts again with the old set.
    let lagging = try await Self.startAccount(keys: [old], cluster: cluster, database: database)
    let retired = try await PostgresTesting.withClient(cluster.configuration(database: database)) {
      client,
      logger in
      try await client.query(
        "SELECT key_id FROM signing_keys WHERE retired_at IS NOT NULL",
        logger: logger
      ).decode(String.self).reduce(into: [String]()) { $0.append($1) }
    }
    #expect(retired.isEmpty, "retired: \(retired)")
    for service in [first, rolled, lagging] { try await service.stop() }
  }

  @Test("a removed key is retired, refused everywhere within a refresh, and never comes back")
  func removedKeyRetires() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let old = PrivateSigningKey.generate()
    let new = PrivateSigningKey.generate()
    let account = try await Self.startAccount(keys: [old], cluster: cluster, database: database)
    var reportingConfiguration = TestServices.configuration(
      .reporting,
      cluster: cluster,
      database: database,
      accountServicePort: account.port
    )
    reportingConfiguration.keyRefreshIntervalSeconds = 1
    let reporting = try await TestServices.start(.reporting, configuration: reportingConfiguration)
    let (token, _) = try await TestKeys.signer(key: old).sign(TestPrincipals.ministry)
    let accountPort = account.port
    #expect(
      await eventually {
        (try? await Self.authenticated(token, port: accountPort, reporting: false)) == true
      }
    )
    #expect(
      await eventually {
        (try? await Self.authenticated(token, port: reporting.port, reporting: true)) == true
      }
    )

    // A rolling update: a second account-service replica, configured with the new key only,
    // starts beside the first and retires the old key. (Restarting on the same port raced with
    // other suites taking the freed port.)
    let replica = try await Self.startAccount(keys: [new], cluster: cluster, database: database)
    let retired = ContinuousClock.now
    // The new replica refuses the old key's token from its start.
    #expect(try await !Self.authenticated(token, port: replica.port, reporting: false))
    // The old replica and reporting-service, which had verified it, refuse it after their next
    // refresh (one interval, 1 s here): both read the published keys, which no longer hold it.
    #expect(
      await eventually(timeout: .seconds(6)) {
        (try? await Self.authenticated(token, port: accountPort, reporting: false)) == false
      }
    )
    #expect(
      await eventually(timeout: .seconds(6)) {
        (try? await Self.authenticated(token, port: reporting.port, reporting: true)) == false
      }
    )
    // Both within a few refreshes of one second; the margin is for a loaded two-core machine
    // running every suite at once (7.7 s was seen there with a 5-second bound).
    #expect(ContinuousClock.now - retired < .seconds(12))
    let (fresh, _) = try await TestKeys.signer(key: new).sign(TestPrincipals.ministry)
    #expect(try await Self.authenticated(fresh, port: reporting.port, reporting: true))
    try await reporting.stop()
    try await replica.stop()
    try await account.stop()

    // Configured with the retired key again, account-service refuses to start rather than
    // sign tokens nobody accepts; nothing un-retired the key.
    await #expect(throws: (any Error).self) {
      let again = try await Self.startAccount(keys: [old], cluster: cluster, database: database)
      try await again.stop()
    }
  }
}
