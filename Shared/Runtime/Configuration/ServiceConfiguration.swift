import Foundation
public import GRPCNIOTransportHTTP2
public import Logging
public import SafeMapClient
public import SafeMapCore
public import SafeMapDatabase

/// Everything a service reads at start-up, from environment variables with local defaults.
/// README.md has the table; `fromEnvironment` is the only place that names the variables.
public struct ServiceConfiguration: Sendable {
  public var service: SafeMapService
  /// gRPC listen address: loopback unless told otherwise (the image sets 0.0.0.0, with TLS,
  /// so that probes and peers reach it in a container).
  public var grpcHost: String
  /// 0 picks a free port (tests).
  public var grpcPort: Int
  /// Prometheus `/metrics` over HTTP; `nil` disables it.
  public var metricsPort: Int?
  public var database: DatabaseConfiguration
  /// account-service, for the signing keys (assessment and reporting; assessment also for
  /// facility profiles).
  public var accountServiceHost: String
  public var accountServicePort: Int
  public var tokenAudience: String
  public var tokenIssuer: String
  public var logLevel: Logger.Level
  public var logFormat: LogFormat
  /// Time between NOT_SERVING and the start of draining, so load balancers stop routing first.
  public var shutdownDelaySeconds: Double
  /// Longest drain before in-flight calls are cancelled.
  public var shutdownTimeoutSeconds: Double
  /// Folder for local state (a generated signing key on developer machines).
  public var dataDirectory: String
  /// How often the database is probed for the health status.
  public var databaseProbeIntervalSeconds: Double
  /// How often token verification keys are fetched again: a key account-service retired is
  /// refused everywhere within this time.
  public var keyRefreshIntervalSeconds: Double
  /// assessment-service: longest wait for a facility profile from account-service.
  public var profileTimeoutSeconds: Double
  /// Size of a request message and length of its text fields.
  public var requestLimits: RequestLimits
  /// Calls open at once on one client connection.
  public var maximumConcurrentStreams: Int
  /// TLS of the listener and of calls to other services; plaintext when empty.
  public var tls: TLSSettings
  /// A plaintext port serving only `grpc.health.v1.Health` (for probes when the main port
  /// serves TLS); `nil` for none.
  public var healthPort: Int?
  /// Whether `grpc.reflection.v1` and `v1alpha` are served (without a token: they describe
  /// the public contract, not data). Off unless `SAFEMAP_GRPC_REFLECTION=true` (`make run`
  /// turns it on): a deployment does not describe itself to the internet.
  public var reflection: Bool
  /// Peers (web-service) whose `x-forwarded-for` names the real client, for throttling and
  /// the audit log; nobody by default.
  public var trustedProxies: TrustedProxies
  /// Names a client certificate must carry for its caller to be believed as web-service
  /// when the listener requires client certificates (mutual TLS); addresses then count for
  /// nothing. `SAFEMAP_TRUSTED_PROXY_NAMES`, default `web-service`.
  public var trustedProxyNames: Set<String>
  /// Plaintext gRPC off loopback (listening, or calling account-service) is refused unless
  /// this is set (`SAFEMAP_ALLOW_PLAINTEXT=true`, for networks encrypted by something else).
  public var allowPlaintext: Bool
  /// The rate each client may call the methods that need no token (login, the public map,
  /// reference data); `nil` turns the limit off (tests that measure something else).
  public var anonymousRateLimit: ClientRateLimiter.Rule?

  /// Why this configuration would send or serve plaintext off loopback, or nil. Every service
  /// but account-service calls account-service (signing keys, facility profiles).
  public var plaintextProblem: String? {
    tls.plaintextProblem(listeningOn: grpcHost, allowPlaintext: allowPlaintext)
      ?? (service == .account
        ? nil
        : tls.plaintextProblem(
          calling: "account-service",
          at: accountServiceHost,
          allowPlaintext: allowPlaintext
        ))
  }

  /// Who may speak for a browser: web-service by certificate over mutual TLS, by address in
  /// plaintext.
  public var trustedProxyPolicy: TrustedProxyPolicy {
    TrustedProxyPolicy(addresses: trustedProxies, certificateNames: trustedProxyNames)
  }

  /// The address to listen on at `port`: `grpcHost`, IPv6 when it contains a colon.
  public func bindAddress(port: Int) -> GRPCNIOTransportCore.SocketAddress {
    grpcHost.contains(":") ? .ipv6(host: grpcHost, port: port) : .ipv4(host: grpcHost, port: port)
  }

  public typealias Invalid = EnvironmentReader.Invalid

  public init(service: SafeMapService, database: DatabaseConfiguration) {
    self.service = service
    self.grpcHost = "127.0.0.1"
    self.grpcPort = service.defaultGRPCPort
    self.metricsPort = service.defaultMetricsPort
    self.database = database
    self.accountServiceHost = "127.0.0.1"
    self.accountServicePort = SafeMapService.account.defaultGRPCPort
    self.tokenAudience = "safemap"
    self.tokenIssuer = "safemap-account"
    self.logLevel = .info
    self.logFormat = .json
    self.shutdownDelaySeconds = 0
    self.shutdownTimeoutSeconds = 30
    self.dataDirectory = ".data"
    self.databaseProbeIntervalSeconds = 2
    self.keyRefreshIntervalSeconds = 60
    self.profileTimeoutSeconds = 3
    self.requestLimits = RequestLimits()
    self.maximumConcurrentStreams = 256
    self.tls = TLSSettings()
    self.reflection = false
    self.trustedProxies = .none
    self.trustedProxyNames = ["web-service"]
    self.allowPlaintext = false
    self.anonymousRateLimit = ClientRateLimiter.Rule.anonymous
  }

  /// Reads the `SAFEMAP_*` variables; anything unset keeps its local default.
  public static func fromEnvironment(
    service: SafeMapService,
    environment: [String: String]
  ) throws -> ServiceConfiguration {
    let env = EnvironmentReader(environment)
    func value(_ name: String) -> String? { env.value(name) }
    func integer(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
      try env.integer(name, range)
    }
    func seconds(_ name: String) throws -> Double? { try env.seconds(name) }

    var database = try DatabaseConfiguration(
      url: value("SAFEMAP_DATABASE_URL") ?? "postgres://127.0.0.1:5432/safemap",
      defaultUsername: service.databaseRole
    )
    if let user = value("SAFEMAP_DATABASE_USER") { database.username = user }
    if let password = value("SAFEMAP_DATABASE_PASSWORD") { database.password = password }
    if let max = try integer("SAFEMAP_DATABASE_MAX_CONNECTIONS", 1...1000) {
      database.maximumConnections = max
    }
    if let ms = try integer("SAFEMAP_STATEMENT_TIMEOUT_MS", 100...3_600_000) {
      database.statementTimeoutMilliseconds = ms
    }

    var config = ServiceConfiguration(service: service, database: database)
    config.grpcHost = value("SAFEMAP_GRPC_HOST") ?? config.grpcHost
    config.grpcPort = try integer("SAFEMAP_GRPC_PORT", 0...65535) ?? config.grpcPort
    if let port = try integer("SAFEMAP_METRICS_PORT", 0...65535) {
      config.metricsPort = port == 0 ? nil : port
    }
    if let target = try env.target("SAFEMAP_ACCOUNT_SERVICE") {
      config.accountServiceHost = target.host
      config.accountServicePort = target.port
    }
    config.tokenAudience = value("SAFEMAP_TOKEN_AUDIENCE") ?? config.tokenAudience
    config.tokenIssuer = value("SAFEMAP_TOKEN_ISSUER") ?? config.tokenIssuer
    config.logLevel = try env.logLevel("SAFEMAP_LOG_LEVEL") ?? config.logLevel
    config.logFormat = try env.logFormat("SAFEMAP_LOG_FORMAT") ?? config.logFormat
    config.shutdownDelaySeconds = try seconds("SAFEMAP_SHUTDOWN_DELAY_S") ?? 0
    config.shutdownTimeoutSeconds = try seconds("SAFEMAP_SHUTDOWN_TIMEOUT_S") ?? 30
    config.dataDirectory = value("SAFEMAP_DATA_DIR") ?? config.dataDirectory
    if let bytes = try integer("SAFEMAP_MAX_REQUEST_BYTES", 1024...(64 * 1024 * 1024)) {
      config.requestLimits.maximumMessageBytes = bytes
    }
    if let streams = try integer("SAFEMAP_MAX_CONCURRENT_CALLS", 1...10_000) {
      config.maximumConcurrentStreams = streams
    }
    config.tls = TLSSettings(
      certificateFile: value("SAFEMAP_TLS_CERT_FILE"),
      keyFile: value("SAFEMAP_TLS_KEY_FILE"),
      clientCAFile: value("SAFEMAP_TLS_CLIENT_CA_FILE"),
      caFile: value("SAFEMAP_TLS_CA_FILE"),
      serverName: value("SAFEMAP_TLS_SERVER_NAME")
    )
    if let problem = config.tls.problem { throw Invalid(description: problem) }
    if let port = try integer("SAFEMAP_HEALTH_PORT", 0...65535), port != 0 {
      config.healthPort = port
    }
    config.reflection = try env.flag("SAFEMAP_GRPC_REFLECTION") ?? config.reflection
    config.trustedProxies = try env.trustedProxies("SAFEMAP_TRUSTED_PROXIES") ?? .none
    if let names = value("SAFEMAP_TRUSTED_PROXY_NAMES") {
      config.trustedProxyNames = Set(
        names.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
          .filter { !$0.isEmpty }
      )
    }
    config.anonymousRateLimit = try env.rateLimit(
      "SAFEMAP_ANONYMOUS",
      current: config.anonymousRateLimit
    )
    if let timeout = try seconds("SAFEMAP_PROFILE_TIMEOUT_S"), timeout > 0 {
      config.profileTimeoutSeconds = timeout
    }
    config.allowPlaintext = try env.flag("SAFEMAP_ALLOW_PLAINTEXT") ?? false
    if let problem = config.plaintextProblem { throw Invalid(description: problem) }
    if let refresh = try seconds("SAFEMAP_KEY_REFRESH_S") {
      guard refresh >= 1 else {
        throw Invalid(
          description: "SAFEMAP_KEY_REFRESH_S must be at least 1 second, got \(refresh)"
        )
      }
      config.keyRefreshIntervalSeconds = refresh
    }
    return config
  }
}
