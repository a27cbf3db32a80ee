import Foundation
public import Logging
public import SafeMapClient
public import SafeMapCore

/// What web-service reads at start-up, from `SAFEMAP_*` environment variables with local
/// defaults (README.md "Configuration" has the table).
public struct WebConfiguration: Sendable {
  /// HTTP listen address and port (0 picks a free port: tests).
  public var host: String
  public var port: Int
  /// Prometheus `/metrics` over HTTP; nil disables it.
  public var metricsPort: Int?
  /// The three services, `host:port`.
  public var accountService: ServiceAddress
  public var assessmentService: ServiceAddress
  public var reportingService: ServiceAddress
  /// TLS of the calls to the three services; plaintext when empty.
  public var tls: TLSSettings
  /// Plaintext calls to a service off loopback are refused unless this is set
  /// (`SAFEMAP_ALLOW_PLAINTEXT=true`).
  public var allowPlaintext: Bool
  /// Background tiles (`https://tile.example/{z}/{x}/{y}.png`); empty: points on a plain
  /// background, which is all the map needs.
  public var tileURL: String
  public var tileAttribution: String
  /// Leaflet and its marker-cluster plugin, where Debian installs both (`libjs-leaflet`,
  /// `libjs-leaflet.markercluster`); served under `/vendor/leaflet/`.
  public var leafletDirectory: String
  /// Cookies carry `Secure` (set it whenever browsers reach the site over HTTPS).
  public var secureCookies: Bool
  /// Sessions whose account-service answer is cached at once (sessions themselves live in
  /// account-service, which also sets their idle and absolute ends).
  public var maximumSessions: Int
  /// How long account-service's answer about a session is reused (a session ended through
  /// another replica is honoured within this time).
  public var sessionCacheSeconds: Double
  /// Largest request body (forms, the issuance CSV).
  public var maximumBodyBytes: Int
  /// Peers (load balancers) whose `X-Forwarded-For` names the browser.
  public var trustedProxies: TrustedProxies
  /// How long a province's public map is reused before it is read again.
  public var publicMapCacheSeconds: Double
  /// Bytes the cached public maps may hold together (the largest province takes about 8 MB:
  /// its JSON by level and the whole map gzipped).
  public var publicMapCacheBytes: Int
  /// The rate each browser (IPv6: each /64) may open the public map and the sign-in page and
  /// sign in; past it, 429 with `Retry-After`. `nil` turns the limit off.
  public var anonymousRateLimit: ClientRateLimiter.Rule?
  /// Seconds a connection may stay open without a request, and may take to send a request's
  /// head (slow clients holding connections open are closed).
  public var idleTimeoutSeconds: Double
  /// Province shown first on the public map.
  public var defaultProvince: String
  /// The address facilities sign in at, printed on their credential letters
  /// (`SAFEMAP_WEB_PUBLIC_URL`); the login page's path is added to it.
  public var publicURL: String
  public var logLevel: Logger.Level
  public var logFormat: LogFormat

  public init() {
    host = "0.0.0.0"
    port = 8080
    metricsPort = 9454
    accountService = .init(host: "127.0.0.1", port: SafeMapService.account.defaultGRPCPort)
    assessmentService = .init(host: "127.0.0.1", port: SafeMapService.assessment.defaultGRPCPort)
    reportingService = .init(host: "127.0.0.1", port: SafeMapService.reporting.defaultGRPCPort)
    tls = TLSSettings()
    allowPlaintext = false
    tileURL = ""
    tileAttribution = ""
    leafletDirectory = "/usr/share/javascript/leaflet"
    secureCookies = false
    maximumSessions = 50_000
    sessionCacheSeconds = 10
    maximumBodyBytes = 8 * 1024 * 1024
    trustedProxies = .none
    publicMapCacheSeconds = 5
    publicMapCacheBytes = 128 * 1024 * 1024
    anonymousRateLimit = ClientRateLimiter.Rule.anonymous
    idleTimeoutSeconds = 30
    defaultProvince = ProvinceGeography.largest
    publicURL = "http://localhost:8080"
    logLevel = .info
    logFormat = .json
  }

  public typealias Invalid = EnvironmentReader.Invalid

  /// Why the calls to the services would cross the network in plaintext, or nil.
  public var plaintextProblem: String? {
    [
      ("account-service", accountService), ("assessment-service", assessmentService),
      ("reporting-service", reportingService),
    ].lazy.compactMap { name, address in
      self.tls.plaintextProblem(
        calling: name,
        at: address.host,
        allowPlaintext: self.allowPlaintext
      )
    }.first
  }

  /// Reads the variables; anything unset keeps its default.
  public static func fromEnvironment(_ environment: [String: String]) throws -> WebConfiguration {
    let env = EnvironmentReader(environment)
    func value(_ name: String) -> String? { env.value(name) }

    var config = WebConfiguration()
    config.host = value("SAFEMAP_WEB_HOST") ?? config.host
    config.port = try env.integer("SAFEMAP_WEB_PORT", 0...65535) ?? config.port
    if let port = try env.integer("SAFEMAP_METRICS_PORT", 0...65535) {
      config.metricsPort = port == 0 ? nil : port
    }
    config.accountService = try env.target("SAFEMAP_ACCOUNT_SERVICE") ?? config.accountService
    config.assessmentService =
      try env.target("SAFEMAP_ASSESSMENT_SERVICE") ?? config.assessmentService
    config.reportingService = try env.target("SAFEMAP_REPORTING_SERVICE") ?? config.reportingService
    // Calls to the services: verified against the CA, with this certificate as the client's
    // when they require mutual TLS. web-service's own HTTP is plain: TLS ends in front of it.
    config.tls = TLSSettings(
      certificateFile: value("SAFEMAP_TLS_CERT_FILE"),
      keyFile: value("SAFEMAP_TLS_KEY_FILE"),
      caFile: value("SAFEMAP_TLS_CA_FILE"),
      serverName: value("SAFEMAP_TLS_SERVER_NAME")
    )
    if (config.tls.certificateFile == nil) != (config.tls.keyFile == nil) {
      throw Invalid(description: "SAFEMAP_TLS_CERT_FILE and SAFEMAP_TLS_KEY_FILE go together")
    }
    config.allowPlaintext = try env.flag("SAFEMAP_ALLOW_PLAINTEXT") ?? false
    if let problem = config.plaintextProblem { throw Invalid(description: problem) }
    config.tileURL = value("SAFEMAP_WEB_TILE_URL") ?? config.tileURL
    config.tileAttribution = value("SAFEMAP_WEB_TILE_ATTRIBUTION") ?? config.tileAttribution
    if let url = value("SAFEMAP_WEB_PUBLIC_URL") {
      guard url.hasPrefix("https://") || url.hasPrefix("http://"), url.count <= 200 else {
        throw Invalid(description: "SAFEMAP_WEB_PUBLIC_URL must be an http(s) address")
      }
      config.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
    }
    if !config.tileURL.isEmpty, TileOrigin(config.tileURL) == nil {
      throw Invalid(
        description:
          "SAFEMAP_WEB_TILE_URL must be an https:// or http:// URL, got \(config.tileURL)"
      )
    }
    config.leafletDirectory = value("SAFEMAP_WEB_LEAFLET_DIR") ?? config.leafletDirectory
    config.secureCookies = try env.flag("SAFEMAP_WEB_SECURE_COOKIES") ?? config.secureCookies
    config.sessionCacheSeconds =
      try env.seconds("SAFEMAP_WEB_SESSION_CACHE_S") ?? config.sessionCacheSeconds
    config.maximumSessions =
      try env.integer("SAFEMAP_WEB_MAX_SESSIONS", 1...10_000_000) ?? config.maximumSessions
    config.maximumBodyBytes =
      try env.integer("SAFEMAP_WEB_MAX_BODY_BYTES", 1024...(256 * 1024 * 1024))
      ?? config.maximumBodyBytes
    config.trustedProxies =
      try env.trustedProxies("SAFEMAP_WEB_TRUSTED_PROXIES") ?? config.trustedProxies
    config.publicMapCacheSeconds =
      try env.seconds("SAFEMAP_WEB_PUBLIC_MAP_CACHE_S") ?? config.publicMapCacheSeconds
    config.publicMapCacheBytes =
      try env.integer("SAFEMAP_WEB_PUBLIC_MAP_CACHE_BYTES", 0...(16 * 1024 * 1024 * 1024))
      ?? config.publicMapCacheBytes
    config.anonymousRateLimit = try env.rateLimit(
      "SAFEMAP_WEB_ANONYMOUS",
      current: config.anonymousRateLimit
    )
    if let idle = try env.seconds("SAFEMAP_WEB_IDLE_TIMEOUT_S") {
      guard idle >= 1 else {
        throw Invalid(description: "SAFEMAP_WEB_IDLE_TIMEOUT_S must be at least 1, got \(idle)")
      }
      config.idleTimeoutSeconds = idle
    }
    if let province = value("SAFEMAP_WEB_DEFAULT_PROVINCE") {
      guard Tenant.province(province) != nil else {
        throw Invalid(
          description: "SAFEMAP_WEB_DEFAULT_PROVINCE must be two digits, got \(province)"
        )
      }
      config.defaultProvince = province
    }
    config.logLevel = try env.logLevel("SAFEMAP_LOG_LEVEL") ?? config.logLevel
    config.logFormat = try env.logFormat("SAFEMAP_LOG_FORMAT") ?? config.logFormat
    return config
  }
}

/// `scheme://host[:port]` of a tile URL, for the Content-Security-Policy's `img-src`.
struct TileOrigin {
  var origin: String

  init?(_ url: String) {
    guard
      let components = URLComponents(
        string: url.replacingOccurrences(of: "{", with: "%7B")
          .replacingOccurrences(of: "}", with: "%7D")
      ),
      let scheme = components.scheme, ["http", "https"].contains(scheme),
      let host = components.host, !host.isEmpty
    else { return nil }
    origin = "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
  }
}
