import Foundation
import GRPCCore
import Hummingbird
public import Logging
import NIOCore
import Prometheus
import SafeMapAPI
import SafeMapClient
import SafeMapCore
import SafeMapMetrics
import ServiceLifecycle
import Synchronization
public import UnixSignals

/// web-service: the public map, the officials' dashboard and the facilities' forms over HTTP,
/// served by hummingbird and answered by the three services over gRPC.
///
/// The executable builds one from the environment and calls ``run(signals:)``; tests do the
/// same in-process on port 0, read ``listeningPort()`` and stop it with ``shutdown()``.
/// Start order (shutdown is the reverse): gRPC clients → metrics → HTTP server.
public final class WebServer: Sendable {
  public let configuration: WebConfiguration
  public let logger: Logger
  let metrics: (registry: PrometheusCollectorRegistry, process: ProcessMetrics)
  let backend: Backend
  let sessions: SessionStore

  private let group = Mutex<ServiceGroup?>(nil)
  private let port = ListeningPort()

  public init(configuration: WebConfiguration, logger: Logger) throws {
    self.configuration = configuration
    self.logger = logger
    let registry = PrometheusCollectorRegistry()
    metrics = (registry, ProcessMetrics(registry: registry))
    backend = try Backend(configuration: configuration)
    sessions = SessionStore(
      accounts: backend.accounts,
      maximum: configuration.maximumSessions,
      freshness: configuration.sessionCacheSeconds
    )
  }

  /// Serves until SIGTERM or SIGINT (or ``shutdown()``).
  public func run(signals: [UnixSignal] = [.sigterm, .sigint]) async throws {
    let site = Site(
      backend: backend,
      sessions: sessions,
      provinces: ProvinceNames(facilities: backend.facilities),
      templates: try await Templates.load(),
      configuration: configuration,
      logger: logger
    )
    let router = makeRouter(site)
    let application = Application(
      router: router,
      // A connection with no request for this long is closed: idle and slow clients cannot
      // hold the server's connections.
      server: .http1(
        configuration: .init(
          idleTimeout: .milliseconds(Int64(configuration.idleTimeoutSeconds * 1000))
        )
      ),
      configuration: .init(
        address: .hostname(configuration.host, port: configuration.port),
        serverName: "safemap-web"
      ),
      onServerRunning: { [weak self] channel in
        let port = channel.localAddress?.port ?? 0
        self?.logger.info("HTTP listening", metadata: ["port": "\(port)"])
        self?.port.resolve(.success(port))
      },
      logger: logger
    )
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = backend.services.map {
      .init(service: $0)
    }
    if let port = configuration.metricsPort {
      services.append(
        .init(
          service: MetricsServer(
            host: configuration.host,
            port: port,
            registry: metrics.registry,
            process: metrics.process,
            logger: logger
          )
        )
      )
    }
    services.append(.init(service: application))
    var groupConfiguration = ServiceGroupConfiguration(
      services: services,
      gracefulShutdownSignals: signals,
      logger: logger
    )
    groupConfiguration.maximumGracefulShutdownDuration = .seconds(30)
    let group = ServiceGroup(configuration: groupConfiguration)
    self.group.withLock { $0 = group }
    do {
      try await group.run()
    } catch {
      port.resolve(.failure(error))
      throw error
    }
    port.resolve(.failure(WebError(status: .serviceUnavailable, message: "stopped")))
  }

  func makeRouter(_ site: Site) -> Router<WebContext> {
    let router = Router(context: WebContext.self)
    let tileOrigin = configuration.tileURL.isEmpty ? nil : TileOrigin(configuration.tileURL)?.origin
    router.add(middleware: RequestMetricsMiddleware(registry: metrics.registry))
    router.add(
      middleware: SecurityHeadersMiddleware(
        tileOrigin: tileOrigin,
        strictTransport: configuration.secureCookies
      )
    )
    router.add(middleware: ErrorPageMiddleware(templates: site.templates, logger: logger))
    router.add(
      middleware: FileMiddleware(
        Bundle.module.resourcePath! + "/Static",
        urlBasePath: "/static",
        cacheControl: .init([(MediaType(type: .any), [.maxAge(3600)])]),
        logger: logger
      )
    )
    router.add(
      middleware: FileMiddleware(
        configuration.leafletDirectory,
        urlBasePath: "/vendor/leaflet",
        cacheControl: .init([(MediaType(type: .any), [.maxAge(86400)])]),
        logger: logger
      )
    )
    router.add(
      middleware: SessionMiddleware(
        sessions: sessions,
        proxies: configuration.trustedProxies,
        maximumBodyBytes: configuration.maximumBodyBytes,
        cookies: CookieNames(secure: configuration.secureCookies)
      )
    )
    // After the session middleware: it knows the browser's address and whether it signed in.
    if let rule = configuration.anonymousRateLimit {
      router.add(middleware: AnonymousRateLimitMiddleware(limiter: ClientRateLimiter(rule: rule)))
    }
    // Who may open a page is decided here, by the group its routes join (SignedInMiddleware);
    // what they then see is the services' decision, from the session's token.
    let routes = Routes(router)
    HealthPages(backend: backend).register(routes)
    PublicMapPages(site: site).register(routes)
    SignInPages(site: site).register(routes)
    DashboardPages(site: site).register(routes)
    ListPages(site: site).register(routes)
    FacilityPages(site: site).register(routes)
    AssessmentPages(site: site).register(routes)
    IssuancePages(site: site, sheets: CredentialSheets()).register(routes)
    CampaignPages(site: site).register(routes)
    SignOffPages(site: site).register(routes)
    NominationPages(site: site).register(routes)
    CredentialPages(site: site).register(routes)
    TrendPages(site: site).register(routes)
    return router
  }

  /// The bound HTTP port, once listening (useful with port 0).
  public func listeningPort() async throws -> Int {
    try await port.value()
  }

  /// Begins the same graceful shutdown as SIGTERM.
  public func shutdown() async {
    await group.withLock { $0 }?.triggerGracefulShutdown()
  }
}
