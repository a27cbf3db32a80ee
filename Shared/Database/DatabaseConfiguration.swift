import Foundation
public import PostgresNIO

/// Where the database is and who connects, read from a `postgres://` URL.
///
/// `postgres://user:password@host:port/database?sslmode=disable|prefer|require`. A service that
/// is given a URL without a user connects as its own role (`safemap_account`, …), so one URL can
/// serve every service while each still logs in as a role with only its own privileges.
public struct DatabaseConfiguration: Sendable, Hashable {
  public var host: String
  public var port: Int
  public var database: String
  public var username: String
  public var password: String?
  public var tls: TLSMode
  /// Largest number of pooled connections of one process.
  public var maximumConnections: Int
  /// Upper bound for one statement when the RPC carries no shorter deadline.
  public var statementTimeoutMilliseconds: Int

  public enum TLSMode: String, Sendable, Hashable {
    case disable, prefer, require
  }

  public init(
    host: String = "127.0.0.1",
    port: Int = 5432,
    database: String = "safemap",
    username: String,
    password: String? = nil,
    tls: TLSMode = .disable,
    maximumConnections: Int = 20,
    statementTimeoutMilliseconds: Int = 10_000
  ) {
    self.host = host
    self.port = port
    self.database = database
    self.username = username
    self.password = password
    self.tls = tls
    self.maximumConnections = maximumConnections
    self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
  }

  public struct InvalidURL: Error, CustomStringConvertible {
    public var description: String
  }

  /// Parses a URL; `defaultUsername` applies when the URL names no user.
  public init(url: String, defaultUsername: String) throws {
    guard let components = URLParts(url) else {
      throw InvalidURL(description: "database URL must look like postgres://user:pw@host:port/db")
    }
    self.init(
      host: components.host,
      port: components.port ?? 5432,
      database: components.path.isEmpty ? "safemap" : components.path,
      username: components.user ?? defaultUsername,
      password: components.password
    )
    if let mode = components.query["sslmode"] {
      guard let tls = TLSMode(rawValue: mode) else {
        throw InvalidURL(description: "sslmode must be disable, prefer or require")
      }
      self.tls = tls
    }
  }

  /// The postgres-nio client configuration.
  public func clientConfiguration(applicationName: String) throws -> PostgresClient.Configuration {
    var config = PostgresClient.Configuration(
      host: host,
      port: port,
      username: username,
      password: password,
      database: database,
      tls: try tlsConfiguration()
    )
    config.options.maximumConnections = maximumConnections
    config.options.connectTimeout = .seconds(5)
    config.options.connectionIdleTimeout = .seconds(60)
    // Every connection starts with the statement timeout, so work outside an RPC (start-up,
    // background jobs) is bounded too; RPC transactions set it again with set_config. JIT off:
    // compiling a report's expressions took longer (20-30 ms on a national summary) than it saved
    // on queries that answer in well under a second.
    config.options.additionalStartupParameters = [
      ("application_name", applicationName),
      ("statement_timeout", String(statementTimeoutMilliseconds)),
      ("jit", "off"),
    ]
    return config
  }

  private func tlsConfiguration() throws -> PostgresClient.Configuration.TLS {
    switch tls {
    case .disable: return .disable
    case .prefer: return .prefer(.makeClientConfiguration())
    case .require: return .require(.makeClientConfiguration())
    }
  }
}

/// A minimal `scheme://user:password@host:port/path?query` splitter with percent-decoding, so
/// the Database layer needs no Foundation URL parsing quirks.
struct URLParts {
  var user: String?
  var password: String?
  var host: String
  var port: Int?
  var path: String
  var query: [String: String]

  init?(_ url: String) {
    guard let schemeEnd = url.range(of: "://") else { return nil }
    let scheme = url[..<schemeEnd.lowerBound]
    guard scheme == "postgres" || scheme == "postgresql" else { return nil }
    var rest = Substring(url[schemeEnd.upperBound...])
    var queryPart = Substring("")
    if let q = rest.firstIndex(of: "?") {
      queryPart = rest[rest.index(after: q)...]
      rest = rest[..<q]
    }
    var authority = rest
    path = ""
    if let slash = rest.firstIndex(of: "/") {
      authority = rest[..<slash]
      path = Self.decode(rest[rest.index(after: slash)...])
    }
    if let at = authority.lastIndex(of: "@") {
      let credentials = authority[..<at]
      authority = authority[authority.index(after: at)...]
      if let colon = credentials.firstIndex(of: ":") {
        user = Self.decode(credentials[..<colon])
        password = Self.decode(credentials[credentials.index(after: colon)...])
      } else {
        user = Self.decode(credentials)
      }
    }
    if let colon = authority.lastIndex(of: ":") {
      guard let p = Int(authority[authority.index(after: colon)...]) else { return nil }
      port = p
      host = String(authority[..<colon])
    } else {
      host = String(authority)
    }
    guard !host.isEmpty else { return nil }
    query = [:]
    for pair in queryPart.split(separator: "&") {
      let kv = pair.split(separator: "=", maxSplits: 1)
      query[Self.decode(kv[0])] = kv.count > 1 ? Self.decode(kv[1]) : ""
    }
  }

  private static func decode(_ s: Substring) -> String {
    var bytes: [UInt8] = []
    var it = Array(s.utf8)[...]
    while let b = it.popFirst() {
      if b == UInt8(ascii: "%"), it.count >= 2,
        let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16)
      {
        bytes.append(v)
        it = it.dropFirst(2)
      } else {
        bytes.append(b)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
