import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapClient
import SwiftProtobuf

/// Where the services are, how to reach them, and where the session is kept: the same
/// variables the services read for their own calls (README "Configuration").
struct GlobalOptions: ParsableArguments {
  @Option(
    name: .customLong("account"),
    help: "account-service host:port ($SAFEMAP_ACCOUNT_SERVICE, default 127.0.0.1:50051)."
  )
  var account: String?

  @Option(
    name: .customLong("assessment"),
    help: "assessment-service host:port ($SAFEMAP_ASSESSMENT_SERVICE, default 127.0.0.1:50052)."
  )
  var assessment: String?

  @Option(
    name: .customLong("reporting"),
    help: "reporting-service host:port ($SAFEMAP_REPORTING_SERVICE, default 127.0.0.1:50053)."
  )
  var reporting: String?

  @Option(
    name: .customLong("tls-ca-file"),
    help: "PEM CA the services' certificates must chain to; TLS when set ($SAFEMAP_TLS_CA_FILE)."
  )
  var tlsCAFile: String?

  @Option(
    name: .customLong("tls-cert-file"),
    help: "PEM client certificate, for services that require one ($SAFEMAP_TLS_CERT_FILE)."
  )
  var tlsCertFile: String?

  @Option(
    name: .customLong("tls-key-file"),
    help: "PEM key of the client certificate ($SAFEMAP_TLS_KEY_FILE)."
  )
  var tlsKeyFile: String?

  @Option(
    name: .customLong("tls-server-name"),
    help:
      "Name the services' certificates carry, if not the host dialled ($SAFEMAP_TLS_SERVER_NAME)."
  )
  var tlsServerName: String?

  @Flag(
    name: .customLong("allow-plaintext"),
    help: """
      Talk to services off this machine without TLS ($SAFEMAP_ALLOW_PLAINTEXT=true): only \
      where something else encrypts the network.
      """
  )
  var allowPlaintext = false

  @Option(
    name: .customLong("session-file"),
    help: "Where tokens are kept ($SAFEMAP_SESSION_FILE, default ~/.config/safemap/session.json)."
  )
  var sessionFile: String?

  /// The endpoints and session this invocation uses.
  func context(environment: [String: String] = ProcessInfo.processInfo.environment) throws
    -> CLIContext
  {
    func pick(_ option: String?, _ variable: String) -> String? {
      option ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }
    let tls = TLSSettings(
      certificateFile: pick(tlsCertFile, "SAFEMAP_TLS_CERT_FILE"),
      keyFile: pick(tlsKeyFile, "SAFEMAP_TLS_KEY_FILE"),
      caFile: pick(tlsCAFile, "SAFEMAP_TLS_CA_FILE"),
      serverName: pick(tlsServerName, "SAFEMAP_TLS_SERVER_NAME")
    )
    if (tls.certificateFile == nil) != (tls.keyFile == nil) {
      throw CLIFailure("--tls-cert-file and --tls-key-file go together")
    }
    if tls.certificateFile != nil && tls.caFile == nil {
      throw CLIFailure("a client certificate needs --tls-ca-file (TLS) as well")
    }
    let plaintext =
      allowPlaintext || environment["SAFEMAP_ALLOW_PLAINTEXT"]?.lowercased() == "true"
    func endpoint(_ service: String, _ option: String, _ value: String?, _ port: Int) throws
      -> Endpoint
    {
      let variable = "SAFEMAP_\(option.uppercased())_SERVICE"
      let endpoint = try Endpoint(
        service: service,
        option: option,
        variable: variable,
        value: pick(value, variable),
        defaultPort: port,
        tls: tls
      )
      if let problem = tls.plaintextProblem(
        calling: service,
        at: endpoint.address.host,
        allowPlaintext: plaintext
      ) {
        // The CLI's own words: its option names, not the services' variables.
        throw CLIFailure(
          problem.replacingOccurrences(of: "SAFEMAP_TLS_CA_FILE", with: "--tls-ca-file")
            .replacingOccurrences(of: "SAFEMAP_ALLOW_PLAINTEXT=true", with: "--allow-plaintext")
        )
      }
      if plaintext, tls.caFile == nil, !TLSSettings.isLoopback(endpoint.address.host) {
        FileHandle.standardError.write(
          Data("warning: \(service) at \(endpoint.address) without TLS\n".utf8)
        )
      }
      return endpoint
    }
    return CLIContext(
      account: try endpoint("account-service", "account", account, 50051),
      assessment: try endpoint("assessment-service", "assessment", assessment, 50052),
      reporting: try endpoint("reporting-service", "reporting", reporting, 50053),
      sessions: SessionStore(
        path: sessionFile ?? SessionStore.defaultPath(environment: environment)
      )
    )
  }
}

/// One invocation's services and session.
struct CLIContext: Sendable {
  let account: Endpoint
  let assessment: Endpoint
  let reporting: Endpoint
  let sessions: SessionStore

  /// `authorization: Bearer …` for the signed-in user, the tokens refreshed first when the
  /// access token is about to expire (and the new pair saved: refresh tokens are single use).
  func authorization() async throws -> Metadata {
    guard var session = try sessions.load() else {
      throw CLIFailure("not signed in: run `safemap login`")
    }
    if !session.accessTokenValid() {
      guard session.refreshTokenExpiry > Date() else {
        throw CLIFailure("the session of \(session.username) has ended: run `safemap login`")
      }
      let refreshToken = session.refreshToken
      let tokens = try await account.call { client in
        try await Safemap_Account_V1_AccountService.Client(wrapping: client)
          .refreshToken(.with { $0.refreshToken = refreshToken }).tokens
      }
      session.update(with: tokens)
      try sessions.save(session)
    }
    return ["authorization": "Bearer \(session.accessToken)"]
  }
}

extension Session {
  init(username: String, tokens: Safemap_Account_V1_TokenPair, passwordChangeRequired: Bool) {
    self.init(
      username: username,
      accessToken: tokens.accessToken,
      accessTokenExpiry: tokens.accessTokenExpireTime.date,
      refreshToken: tokens.refreshToken,
      refreshTokenExpiry: tokens.refreshTokenExpireTime.date,
      passwordChangeRequired: passwordChangeRequired
    )
  }

  mutating func update(with tokens: Safemap_Account_V1_TokenPair) {
    accessToken = tokens.accessToken
    accessTokenExpiry = tokens.accessTokenExpireTime.date
    refreshToken = tokens.refreshToken
    refreshTokenExpiry = tokens.refreshTokenExpireTime.date
  }
}
