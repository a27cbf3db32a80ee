public import GRPCCore
import GRPCNIOTransportHTTP2
public import Logging
public import PostgresNIO
import Prometheus
import SafeMapAPI
public import SafeMapAuth
public import SafeMapClient
import SafeMapCore
public import SafeMapDatabase
public import SafeMapMetrics
import SafeMapReflection
public import ServiceLifecycle
import Synchronization
public import UnixSignals

/// Everything a SafeMap service process shares: the database pool, token verification, health,
/// metrics, and the lifecycle that starts and drains them in the right order.
///
/// Executables build one from their configuration and call ``run(services:keySource:…)``;
/// tests do the same in-process on port 0 and stop it with ``shutdown()``.
///
/// Start order (shutdown is the reverse): database pool → metrics → extra services (gRPC
/// clients) → signing-key refresher → gRPC server → health probe. So on SIGTERM the health
/// status turns NOT_SERVING first, then the server drains its in-flight calls while the
/// database pool is still up.
public final class ServiceHost: Sendable {
  public let configuration: ServiceConfiguration
  public let logger: Logger
  public let postgres: PostgresClient
  public let database: Database
  public let verifier: TokenVerifier
  public let health: HealthService
  public let metrics: ServerMetrics

  private let group = Mutex<ServiceGroup?>(nil)
  private let port = ListeningPort()

  public init(configuration: ServiceConfiguration, logger: Logger) throws {
    self.configuration = configuration
    self.logger = logger
    let metrics = ServerMetrics(registry: PrometheusCollectorRegistry())
    self.metrics = metrics
    self.postgres = PostgresClient(
      configuration: try configuration.database.clientConfiguration(
        applicationName: configuration.service.processName
      ),
      backgroundLogger: metrics.pool.logger(wrapping: logger)
    )
    self.database = Database(
      client: postgres,
      logger: logger,
      statementTimeoutMilliseconds: configuration.database.statementTimeoutMilliseconds,
      poolObserver: metrics.pool
    )
    self.verifier = TokenVerifier(
      audience: configuration.tokenAudience,
      issuer: configuration.tokenIssuer
    )
    self.health = HealthService(names: configuration.service.grpcServiceNames)
    metrics.recordPool(maximumConnections: configuration.database.maximumConnections)
  }

  /// Serves until SIGTERM or SIGINT (or ``shutdown()``), then drains and returns.
  ///
  /// - Parameters:
  ///   - services: the RPC services of this process; health is added here.
  ///   - keySource: where the token verification keys come from.
  ///   - publicMethods: methods that need no token (login and the like).
  ///   - rateLimitedMethods: methods held to ``ServiceConfiguration/anonymousRateLimit`` per
  ///     client (those of `publicMethods` that anyone on the internet reaches).
  ///   - allowedDuringPasswordChange: methods a one-time-password holder may call.
  ///   - additionalServices: started before the server and stopped after it (gRPC clients).
  ///   - prepare: runs once the database pool is up and before the server listens (publishing
  ///     keys, bootstrap); if it throws, the process stops.
  public func run(
    services: [any RegistrableRPCService],
    keySource: any SigningKeySource,
    publicMethods: Set<MethodDescriptor> = [],
    rateLimitedMethods: Set<MethodDescriptor> = [],
    allowedDuringPasswordChange: Set<MethodDescriptor> = [],
    additionalServices: [any Service] = [],
    signals: [UnixSignal] = [.sigterm, .sigint],
    prepare: @escaping @Sendable () async throws -> Void = {}
  ) async throws {
    let transport = HTTP2ServerTransport.Posix(
      address: configuration.bindAddress(port: configuration.grpcPort),
      transportSecurity: configuration.tls.serverSecurity,
      config: .defaults { config in
        // Four times the request limit: messages between the two are decoded and refused with
        // RESOURCE_EXHAUSTED naming the limit (RequestLimits); only beyond this does the
        // transport reset the stream.
        config.rpc.maxRequestPayloadSize = 4 * configuration.requestLimits.maximumMessageBytes
        config.http2.maxConcurrentStreams = configuration.maximumConcurrentStreams
        config.connection.maxIdleTime = .seconds(300)
        config.connection.maxGraceTime = .seconds(Int64(configuration.shutdownTimeoutSeconds))
        config.connection.keepalive = .init(
          time: .seconds(30),
          timeout: .seconds(10),
          clientBehavior: .init(minPingIntervalWithoutCalls: .seconds(10), allowWithoutCalls: true)
        )
      }
    )
    if let problem = configuration.plaintextProblem {
      let refusal = EnvironmentReader.Invalid(description: problem)
      port.resolve(.failure(refusal))
      throw refusal
    }
    if configuration.allowPlaintext, !configuration.tls.servesTLS,
      !TLSSettings.isLoopback(configuration.grpcHost)
    {
      logger.warning(
        "serving gRPC in plaintext off loopback because SAFEMAP_ALLOW_PLAINTEXT=true",
        metadata: ["host": "\(configuration.grpcHost)"]
      )
    }
    let auth = AuthInterceptor(
      verifier: verifier,
      publicMethods: publicMethods,
      allowedDuringPasswordChange: allowedDuringPasswordChange
    )
    var served: [any RegistrableRPCService] = services + [health]
    var tokenless: Set<ServiceDescriptor> = [Grpc_Health_V1_Health.descriptor]
    if configuration.reflection {
      served.append(
        try ReflectionService(
          serving: configuration.service.grpcServiceNames + [
            Grpc_Health_V1_Health.descriptor.fullyQualifiedService
          ]
        )
      )
      tokenless.formUnion([
        Grpc_Reflection_V1_ServerReflection.descriptor,
        Grpc_Reflection_V1alpha_ServerReflection.descriptor,
      ])
    }
    var interceptors: [ConditionalInterceptor<any ServerInterceptor>] = [
      .apply(MetricsInterceptor(metrics: metrics), to: .all),
      .apply(ForwardedClientInterceptor(policy: configuration.trustedProxyPolicy), to: .all),
    ]
    if let rule = configuration.anonymousRateLimit, !rateLimitedMethods.isEmpty {
      interceptors.append(
        .apply(
          AnonymousRateLimitInterceptor(limiter: ClientRateLimiter(rule: rule)),
          to: .only(services: [], methods: rateLimitedMethods)
        )
      )
    }
    interceptors += [
      .apply(auth, to: .allExcluding(services: tokenless, methods: [])),
      .apply(RequestLimitsInterceptor(limits: configuration.requestLimits), to: .all),
    ]
    let server = GRPCServer(
      transport: transport,
      services: served,
      interceptorPipeline: interceptors
    )

    var lifecycle: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: postgres)]
    if let port = configuration.metricsPort {
      lifecycle.append(
        .init(
          service: MetricsServer(
            host: configuration.grpcHost,
            port: port,
            registry: metrics.registry,
            process: metrics.process,
            logger: logger
          )
        )
      )
    }
    lifecycle += additionalServices.map { .init(service: $0) }
    let refresher = SigningKeyRefresher(
      verifier: verifier,
      source: keySource,
      interval: .milliseconds(Int64(configuration.keyRefreshIntervalSeconds * 1000)),
      minimumGap: .milliseconds(Int64(min(5, configuration.keyRefreshIntervalSeconds) * 1000)),
      logger: logger
    )
    lifecycle.append(.init(service: refresher))
    // Keys are loaded once more after `prepare` (which may publish them) and before listening,
    // so the first calls are not refused for want of keys.
    let serverService = GRPCServerService<HTTP2ServerTransport.Posix>(server: server) {
      try await prepare()
      await refresher.refresh()
    }
    lifecycle.append(.init(service: serverService))
    // Kubernetes' native gRPC probes speak plaintext only: with TLS on the main port, health
    // can also be served alone on a plaintext port (it carries no data and needs no token).
    if let healthPort = configuration.healthPort {
      let healthServer = GRPCServer(
        transport: HTTP2ServerTransport.Posix(
          address: configuration.bindAddress(port: healthPort),
          transportSecurity: .plaintext
        ),
        services: [health]
      )
      lifecycle.append(.init(service: GRPCServerService(server: healthServer)))
    }
    lifecycle.append(
      .init(
        service: DatabaseHealthProbe(
          health: health,
          client: postgres,
          interval: .milliseconds(Int64(configuration.databaseProbeIntervalSeconds * 1000)),
          shutdownDelay: .milliseconds(Int64(configuration.shutdownDelaySeconds * 1000)),
          logger: logger
        )
      )
    )

    var groupConfiguration = ServiceGroupConfiguration(
      services: lifecycle,
      gracefulShutdownSignals: signals,
      logger: logger
    )
    groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(
      Int64((configuration.shutdownTimeoutSeconds + configuration.shutdownDelaySeconds) * 1000)
    )
    // A task that ignores cancellation (a query on a connection PostgreSQL cut, in postgres-nio
    // 1.33.2) would otherwise keep the process alive for ever after SIGTERM: past this the
    // group ends the process with a message naming the cause, and the orchestrator restarts it.
    groupConfiguration.maximumCancellationDuration = .seconds(5)
    let group = ServiceGroup(configuration: groupConfiguration)
    self.group.withLock { $0 = group }

    let addressTask = Task {
      do {
        let address = try await transport.listeningAddress
        let port = address.ipv4?.port ?? address.ipv6?.port ?? configuration.grpcPort
        logger.info(
          "gRPC listening",
          metadata: ["service": "\(configuration.service.processName)", "port": "\(port)"]
        )
        self.port.resolve(.success(port))
      } catch {
        self.port.resolve(.failure(error))
      }
    }
    defer { addressTask.cancel() }
    do {
      try await group.run()
    } catch {
      port.resolve(.failure(error))
      throw error
    }
    port.resolve(.failure(RPCError(code: .unavailable, message: "server stopped")))
  }

  /// The bound gRPC port, once listening (useful with port 0).
  public func listeningPort() async throws -> Int {
    try await port.value()
  }

  /// Begins the same graceful shutdown as SIGTERM.
  public func shutdown() async {
    await group.withLock { $0 }?.triggerGracefulShutdown()
  }
}

extension ServiceHost {
  /// A long-lived client of account-service (signing keys; facility profiles). Run it by passing
  /// `GRPCClientService(client:)` in `additionalServices`.
  public func makeAccountServiceClient() throws -> GRPCClient<HTTP2ClientTransport.Posix> {
    try ServiceClient.make(
      ServiceAddress(
        host: configuration.accountServiceHost,
        port: configuration.accountServicePort
      ),
      tls: configuration.tls,
      backoff: .init(initial: .milliseconds(200), max: .seconds(10), multiplier: 1.6, jitter: 0.2)
    )
  }

}
