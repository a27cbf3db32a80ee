import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import SafeMapAccount
import SafeMapAssessment
import SafeMapAuth
import SafeMapClient
import SafeMapCore
import SafeMapReporting
import SafeMapRuntime

/// A SafeMap service running in this process on a free port, as the executable would run it.
public struct RunningService: Sendable {
  public let host: ServiceHost
  public let port: Int
  let task: Task<Void, any Error>

  /// Graceful shutdown, as on SIGTERM; returns when the service has stopped.
  public func stop() async throws {
    await host.shutdown()
    try await task.value
  }
}

/// The signing key the test services and the tests' tokens share.
public enum TestKeys {
  public static let signingKey = PrivateSigningKey.generate()
  public static let audience = "safemap"
  public static let issuer = "safemap-account"

  public static var environment: [String: String] {
    ["SAFEMAP_SIGNING_KEYS": SigningKeyFile.render([signingKey])]
  }

  /// A token signer with the services' key (or another one, to forge).
  public static func signer(
    key: PrivateSigningKey = signingKey,
    audience: String = audience,
    issuer: String = issuer,
    lifetime: Double = 900
  ) async -> TokenSigner {
    await TokenSigner(activeKey: key, audience: audience, issuer: issuer, lifetime: lifetime)
  }

  /// `authorization: Bearer <token>` for `principal`.
  public static func metadata(for principal: Principal) async throws -> Metadata {
    let (token, _) = try await signer().sign(principal)
    return ["authorization": "Bearer \(token)"]
  }
}

/// Sample principals for tests.
public enum TestPrincipals {
  public static let ministry = Principal(
    accountID: UUID().uuidString.lowercased(),
    username: "ministry",
    role: .ministryAdmin
  )
  public static func provinceOfficer(_ province: String = "25") -> Principal {
    Principal(
      accountID: UUID().uuidString.lowercased(),
      username: "officer\(province)",
      role: .provinceOfficer,
      provinceCode: province
    )
  }

  public static func healthInspector(_ province: String = "25") -> Principal {
    Principal(
      accountID: UUID().uuidString.lowercased(),
      username: "cdc\(province)",
      role: .healthInspector,
      provinceCode: province
    )
  }
}

public enum TestServices {
  /// Configuration for a test instance: loopback, free port, no metrics port, fast probes.
  public static func configuration(
    _ service: SafeMapService,
    cluster: PostgresCluster,
    database: String,
    accountServicePort: Int? = nil
  ) -> ServiceConfiguration {
    var config = ServiceConfiguration(
      service: service,
      database: cluster.configuration(database: database, user: service.databaseRole)
    )
    config.grpcHost = "127.0.0.1"
    config.grpcPort = 0
    config.metricsPort = nil
    config.databaseProbeIntervalSeconds = 0.2
    // Test beds sign in many times from 127.0.0.1; the tests of the limit turn it on.
    config.anonymousRateLimit = nil
    // The reflection tests ask a test service, as `make run` serves it.
    config.reflection = true
    // Sixty suites share two cores at the start of a run: a profile lookup may wait longer
    // than in service before account-service gets a turn.
    config.profileTimeoutSeconds = 20
    config.shutdownTimeoutSeconds = 10
    config.dataDirectory =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("safemap-data-\(UUID().uuidString.prefix(8))").path
    if let accountServicePort { config.accountServicePort = accountServicePort }
    return config
  }

  /// Starts `service` and waits until it listens (not until it is SERVING).
  public static func start(
    _ service: SafeMapService,
    configuration: ServiceConfiguration,
    environment: [String: String] = TestKeys.environment
  ) async throws -> RunningService {
    var logger = Logger(label: "test.\(service.processName)")
    logger.logLevel = .warning
    let host = try ServiceHost(configuration: configuration, logger: logger)
    let task = Task {
      switch service {
      case .account: try await AccountServer.run(host: host, environment: environment)
      case .assessment: try await AssessmentServer.run(host: host)
      case .reporting: try await ReportingServer.run(host: host)
      }
    }
    let port = try await host.listeningPort()
    return RunningService(host: host, port: port, task: task)
  }

  /// Starts `service` against a migrated database of the shared cluster.
  public static func start(
    _ service: SafeMapService,
    database: String,
    accountServicePort: Int? = nil,
    environment: [String: String] = TestKeys.environment
  ) async throws -> RunningService {
    let cluster = try await PostgresCluster.shared()
    return try await start(
      service,
      configuration: configuration(
        service,
        cluster: cluster,
        database: database,
        accountServicePort: accountServicePort
      ),
      environment: environment
    )
  }
}

extension TestServices {
  /// The three services on a migrated database of the shared cluster, account-service first
  /// (the others fetch its signing keys); `account` adjusts account-service's configuration.
  public static func startAll(
    database: String,
    environment: [String: String] = TestKeys.environment,
    account adjust: (inout ServiceConfiguration) throws -> Void = { _ in }
  ) async throws -> (
    account: RunningService, assessment: RunningService, reporting: RunningService
  ) {
    let cluster = try await PostgresCluster.shared()
    var configuration = configuration(.account, cluster: cluster, database: database)
    try adjust(&configuration)
    let account = try await start(.account, configuration: configuration, environment: environment)
    let assessment = try await start(
      .assessment,
      database: database,
      accountServicePort: account.port
    )
    let reporting = try await start(
      .reporting,
      database: database,
      accountServicePort: account.port
    )
    return (account, assessment, reporting)
  }
}

/// A gRPC client over real TCP to a local port, for the duration of `body`.
/// `address` `::1` connects over IPv6, so a service listening on `::` sees a second client
/// address on the same machine.
/// `maximumMessageBytes` raises gRPC's 4 MiB limit (a province's public map is larger).
public func withLocalClient<R: Sendable>(
  port: Int,
  address: String = "127.0.0.1",
  maximumMessageBytes: Int? = nil,
  _ body: @escaping @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> R
) async throws -> R {
  var methodConfig: [MethodConfig] = []
  if let maximumMessageBytes {
    // grpc-swift-nio-transport 2.9 sizes a stream's decoder by the request limit.
    methodConfig = [
      MethodConfig(
        names: [.init(service: "")],
        maxRequestMessageBytes: maximumMessageBytes,
        maxResponseMessageBytes: maximumMessageBytes
      )
    ]
  }
  let transport = try ServiceClient.transport(
    ServiceAddress(host: address, port: port),
    tls: TLSSettings(),
    methodConfig: methodConfig
  )
  return try await withGRPCClient(transport: transport) { client in try await body(client) }
}

/// Polls `condition` every 50 ms for up to `timeout`; returns whether it became true.
public func eventually(
  timeout: Duration = .seconds(10),
  _ condition: @Sendable () async throws -> Bool
) async rethrows -> Bool {
  let deadline = ContinuousClock.now.advanced(by: timeout)
  while ContinuousClock.now < deadline {
    if try await condition() { return true }
    try? await Task.sleep(for: .milliseconds(50))
  }
  return try await condition()
}

/// A key source with the test key, for hosts built by hand in tests.
public struct StaticKeySource: SigningKeySource {
  public init() {}

  public func fetchKeys() async throws -> [PublicSigningKey] {
    [TestKeys.signingKey.publicKey]
  }
}
