import Foundation
import GRPCCore
import Logging
import SafeMapClient
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import Testing

@Suite("Configuration and paging")
struct ConfigurationTests {
  @Test("defaults: ports per service, the service's own database role")
  func defaults() throws {
    let account = try ServiceConfiguration.fromEnvironment(service: .account, environment: [:])
    #expect(account.grpcPort == 50051)
    #expect(account.database.username == "safemap_account")
    #expect(account.database.host == "127.0.0.1")
    let assessment = try ServiceConfiguration.fromEnvironment(
      service: .assessment,
      environment: [:]
    )
    #expect(assessment.grpcPort == 50052)
    let reporting = try ServiceConfiguration.fromEnvironment(service: .reporting, environment: [:])
    #expect(reporting.grpcPort == 50053)
    #expect(Set([account, assessment, reporting].compactMap(\.metricsPort)).count == 3)
    #expect(!account.reflection, "reflection is off unless SAFEMAP_GRPC_REFLECTION=true")
  }

  @Test("environment variables override the defaults")
  func overrides() throws {
    let config = try ServiceConfiguration.fromEnvironment(
      service: .reporting,
      environment: [
        "SAFEMAP_DATABASE_URL": "postgres://db:5433/sm",
        "SAFEMAP_DATABASE_PASSWORD": "secret",
        "SAFEMAP_GRPC_PORT": "6000",
        "SAFEMAP_METRICS_PORT": "0",
        "SAFEMAP_ACCOUNT_SERVICE": "account:50051",
        "SAFEMAP_ALLOW_PLAINTEXT": "true",
        "SAFEMAP_LOG_LEVEL": "debug",
        "SAFEMAP_SHUTDOWN_DELAY_S": "5",
      ]
    )
    #expect(config.database.host == "db" && config.database.port == 5433)
    #expect(config.database.username == "safemap_reporting")
    #expect(config.database.password == "secret")
    #expect(config.grpcPort == 6000)
    #expect(config.metricsPort == nil)
    #expect(config.accountServiceHost == "account")
    #expect(config.logLevel == .debug)
    #expect(config.shutdownDelaySeconds == 5)
  }

  @Test("bad values are refused with the variable's name")
  func badValues() {
    for (name, value) in [
      ("SAFEMAP_GRPC_PORT", "70000"), ("SAFEMAP_LOG_LEVEL", "loud"),
      ("SAFEMAP_ACCOUNT_SERVICE", "nohost"), ("SAFEMAP_SHUTDOWN_DELAY_S", "-1"),
    ] {
      #expect {
        try ServiceConfiguration.fromEnvironment(service: .account, environment: [name: value])
      } throws: { String(describing: $0).contains(name) }
    }
  }

  @Test("plaintext off loopback is refused unless SAFEMAP_ALLOW_PLAINTEXT says so")
  func plaintextRefused() throws {
    // Listening on every address without a certificate.
    #expect {
      try ServiceConfiguration.fromEnvironment(
        service: .account,
        environment: ["SAFEMAP_GRPC_HOST": "0.0.0.0"]
      )
    } throws: { "\($0)".contains("SAFEMAP_TLS_CERT_FILE") && "\($0)".contains("0.0.0.0") }
    // Fetching the signing keys every token check trusts from another machine without TLS.
    #expect {
      try ServiceConfiguration.fromEnvironment(
        service: .reporting,
        environment: ["SAFEMAP_ACCOUNT_SERVICE": "account.safemap.svc:50051"]
      )
    } throws: { "\($0)".contains("SAFEMAP_TLS_CA_FILE") && "\($0)".contains("account-service") }
    let allowed = try ServiceConfiguration.fromEnvironment(
      service: .reporting,
      environment: [
        "SAFEMAP_GRPC_HOST": "0.0.0.0", "SAFEMAP_ACCOUNT_SERVICE": "account:50051",
        "SAFEMAP_ALLOW_PLAINTEXT": "true",
      ]
    )
    #expect(allowed.plaintextProblem == nil)
    let secured = try ServiceConfiguration.fromEnvironment(
      service: .reporting,
      environment: [
        "SAFEMAP_GRPC_HOST": "0.0.0.0", "SAFEMAP_ACCOUNT_SERVICE": "account:50051",
        "SAFEMAP_TLS_CERT_FILE": "/tls/r.pem", "SAFEMAP_TLS_KEY_FILE": "/tls/r.key",
        "SAFEMAP_TLS_CA_FILE": "/tls/ca.pem",
      ]
    )
    #expect(secured.plaintextProblem == nil)
    #expect(
      try ServiceConfiguration.fromEnvironment(service: .account, environment: [:]).grpcHost
        == "127.0.0.1"
    )
  }

  @Test("the anonymous rate: on by default, set or turned off by variables")
  func anonymousRate() throws {
    let defaults = try ServiceConfiguration.fromEnvironment(service: .account, environment: [:])
    #expect(defaults.anonymousRateLimit == ClientRateLimiter.Rule.anonymous)
    let set = try ServiceConfiguration.fromEnvironment(
      service: .account,
      environment: ["SAFEMAP_ANONYMOUS_RATE": "2", "SAFEMAP_ANONYMOUS_BURST": "10"]
    )
    #expect(set.anonymousRateLimit == .init(burst: 10, perSecond: 2))
    let off = try ServiceConfiguration.fromEnvironment(
      service: .account,
      environment: ["SAFEMAP_ANONYMOUS_RATE": "0"]
    )
    #expect(off.anonymousRateLimit == nil)
    #expect {
      try ServiceConfiguration.fromEnvironment(
        service: .account,
        environment: ["SAFEMAP_ANONYMOUS_RATE": "-3"]
      )
    } throws: { "\($0)".contains("SAFEMAP_ANONYMOUS_RATE") }
  }

  @Test("page sizes default to 50, cap at 1000, refuse negatives; tokens round-trip")
  func paging() throws {
    #expect(try Paging.pageSize(0) == 50)
    #expect(try Paging.pageSize(5000) == 1000)
    #expect(throws: RPCError.self) { try Paging.pageSize(-1) }
    let first = try Paging.Page<Paging.TimeKey>(size: 2, token: "", list: "ListZones")
    #expect(first.after == nil && first.size == 2)
    let key = Paging.TimeKey(micros: 1_765_000_000_123_457, id: "Đồng Xoài/689")
    // A full page continues after its last key; a short one is the last page.
    let token = first.nextToken(after: key, count: 2)
    #expect(first.nextToken(after: key, count: 1) == "")
    #expect(token.count <= 256, "page_token's own limit")
    let second = try Paging.Page<Paging.TimeKey>(size: 2, token: token, list: "ListZones")
    #expect(second.after == key)
    // Another list's token, another key type, or anything else: INVALID_ARGUMENT naming it.
    for (token, list) in [(token, "ListAccounts"), ("garbage!", "ListZones"), ("e30", "ListZones")]
    {
      #expect {
        _ = try Paging.Page<Paging.TimeKey>(size: 2, token: token, list: list)
      } throws: {
        ($0 as? RPCError)?.code == .invalidArgument && "\($0)".contains("page_token")
      }
    }
    #expect(throws: RPCError.self) {
      _ = try Paging.Page<UUID>(size: 2, token: token, list: "ListZones")
    }
  }
}
