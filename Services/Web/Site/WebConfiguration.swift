import Foundation
public import Logging
public import SafeMapCore
public import SafeMapRuntime

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
  /// Background tiles (`https://tile.example/{z}/{x}/{y}.png`); empty: points on a plain
  /// background, which is all the map needs.
  public var tileURL: String
  public var tileAttribution: String
  /// Leaflet and its marker-cluster plugin, where Debian installs both (`libjs-leaflet`,
  /// `libjs-leaflet.markercluster`); served under `/vendor/leaflet/`.
  public var leafletDirectory: String
  /// Cookies carry `Secure` (set it whenever browsers reach the site over HTTPS).
  public var secureCookies: Bool
  /// Sessions end after this long without a request, and after `sessionLifetimeSeconds` in
  /// any case.
  public var sessionIdleSeconds: Double
  public var sessionLifetimeSeconds: Double
  /// Sessions held at once; past it, sign-ins are refused (503) rather than memory growing.
  public var maximumSessions: Int
  /// Largest request body (forms, the issuance CSV).
  public var maximumBodyBytes: Int
  /// Peers (load balancers) whose `X-Forwarded-For` names the browser.
  public var trustedProxies: TrustedProxies
  /// How long a province's public map is reused before it is read again.
  public var publicMapCacheSeconds: Double
  /// Province shown first on the public map.
  public var defaultProvince: String
  public var logLevel: Logger.Level
  public var logFormat: ServiceConfiguration.LogFormat

  public init() {
    host = "0.0.0.0"
    port = 8080
    metricsPort = 9454
    accountService = .init(host: "127.0.0.1", port: SafeMapService.account.defaultGRPCPort)
    assessmentService = .init(host: "127.0.0.1", port: SafeMapService.assessment.defaultGRPCPort)
    reportingService = .init(host: "127.0.0.1", port: SafeMapService.reporting.defaultGRPCPort)
    tls = TLSSettings()
    tileURL = ""
    tileAttribution = ""
    leafletDirectory = "/usr/share/javascript/leaflet"
    secureCookies = false
    sessionIdleSeconds = 30 * 60
    sessionLifetimeSeconds = 12 * 3600
    maximumSessions = 50_000
    maximumBodyBytes = 8 * 1024 * 1024
    trustedProxies = .none
    publicMapCacheSeconds = 5
    defaultProvince = ProvinceGeography.largest
    logLevel = .info
    logFormat = .json
  }

  public typealias Invalid = EnvironmentReader.Invalid

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
    config.tileURL = value("SAFEMAP_WEB_TILE_URL") ?? config.tileURL
    config.tileAttribution = value("SAFEMAP_WEB_TILE_ATTRIBUTION") ?? config.tileAttribution
    if !config.tileURL.isEmpty, TileOrigin(config.tileURL) == nil {
      throw Invalid(
        description:
          "SAFEMAP_WEB_TILE_URL must be an https:// or http:// URL, got \(config.tileURL)"
      )
    }
    config.leafletDirectory = value("SAFEMAP_WEB_LEAFLET_DIR") ?? config.leafletDirectory
    config.secureCookies = try env.flag("SAFEMAP_WEB_SECURE_COOKIES") ?? config.secureCookies
    config.sessionIdleSeconds =
      try env.seconds("SAFEMAP_WEB_SESSION_IDLE_S") ?? config.sessionIdleSeconds
    config.sessionLifetimeSeconds =
      try env.seconds("SAFEMAP_WEB_SESSION_LIFETIME_S") ?? config.sessionLifetimeSeconds
    config.maximumSessions =
      try env.integer("SAFEMAP_WEB_MAX_SESSIONS", 1...10_000_000) ?? config.maximumSessions
    config.maximumBodyBytes =
      try env.integer("SAFEMAP_WEB_MAX_BODY_BYTES", 1024...(256 * 1024 * 1024))
      ?? config.maximumBodyBytes
    config.trustedProxies =
      try env.trustedProxies("SAFEMAP_WEB_TRUSTED_PROXIES") ?? config.trustedProxies
    config.publicMapCacheSeconds =
      try env.seconds("SAFEMAP_WEB_PUBLIC_MAP_CACHE_S") ?? config.publicMapCacheSeconds
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
