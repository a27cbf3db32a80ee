import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import PostgresNIO
import SafeMapAPI
import SafeMapClient
import SafeMapCore
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// gRPC over TLS and mutual TLS, with certificates from files named in configuration, and the
/// calls between services verifying the server against the configured CA.
@Suite("TLS")
struct TLSTests {
  static let certificates = Task { try await TestCertificates.make() }

  /// Lists provinces over `security` against `port`, as `localhost` (the server certificate's
  /// name).
  static func listProvinces(
    port: Int,
    security: HTTP2ClientTransport.Posix.TransportSecurity
  ) async throws -> Int {
    let transport = try HTTP2ClientTransport.Posix(
      target: .ipv4(address: "127.0.0.1", port: port),
      transportSecurity: security,
      config: .defaults { $0.http2.authority = "localhost" }
    )
    return try await withGRPCClient(transport: transport) { client in
      let metadata = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer())
      return try await Safemap_Account_V1_FacilityService.Client(wrapping: client)
        .listProvinces(.with { $0.pageSize = 100 }, metadata: metadata).provinces.count
    }
  }

  static func startAccount(_ tls: TLSSettings) async throws -> RunningService {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    var configuration = TestServices.configuration(.account, cluster: cluster, database: database)
    configuration.tls = tls
    return try await TestServices.start(.account, configuration: configuration)
  }

  @Test("a service with a certificate serves TLS; a client trusting its CA calls it")
  func tls() async throws {
    let certs = try await Self.certificates.value
    let account = try await Self.startAccount(
      TLSSettings(certificateFile: certs.serverCertificate, keyFile: certs.serverKey)
    )
    let trusting = HTTP2ClientTransport.Posix.TransportSecurity.tls {
      $0.trustRoots = .certificates([.file(path: certs.caFile, format: .pem)])
    }
    #expect(try await Self.listProvinces(port: account.port, security: trusting) == 63)
    // Plaintext to a TLS listener does not get through.
    await #expect(throws: (any Error).self) {
      try await Self.listProvinces(port: account.port, security: .plaintext)
    }
    // Nor does a client that does not trust the server's CA.
    let doubting = HTTP2ClientTransport.Posix.TransportSecurity.tls {
      $0.trustRoots = .certificates([.file(path: certs.strangerCertificate, format: .pem)])
    }
    await #expect(throws: (any Error).self) {
      try await Self.listProvinces(port: account.port, security: doubting)
    }
    try await account.stop()
  }

  @Test("with a client CA, only clients with a certificate from it get through (mTLS)")
  func mutualTLS() async throws {
    let certs = try await Self.certificates.value
    let account = try await Self.startAccount(
      TLSSettings(
        certificateFile: certs.serverCertificate,
        keyFile: certs.serverKey,
        clientCAFile: certs.caFile
      )
    )
    func client(_ certificate: String?, _ key: String?)
      -> HTTP2ClientTransport.Posix.TransportSecurity
    {
      .tls {
        $0.trustRoots = .certificates([.file(path: certs.caFile, format: .pem)])
        if let certificate, let key {
          $0.certificateChain = [.file(path: certificate, format: .pem)]
          $0.privateKey = .file(path: key, format: .pem)
        }
      }
    }
    #expect(
      try await Self.listProvinces(
        port: account.port,
        security: client(certs.clientCertificate, certs.clientKey)
      ) == 63
    )
    await #expect(throws: (any Error).self) {
      try await Self.listProvinces(port: account.port, security: client(nil, nil))
    }
    await #expect(throws: (any Error).self) {
      try await Self.listProvinces(
        port: account.port,
        security: client(certs.strangerCertificate, certs.strangerKey)
      )
    }
    try await account.stop()
  }

  @Test(
    "over mTLS only a certificate naming web-service may forward an address or hold sessions"
  )
  func webServiceIdentity() async throws {
    let certs = try await Self.certificates.value
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    var configuration = TestServices.configuration(.account, cluster: cluster, database: database)
    configuration.tls = TLSSettings(
      certificateFile: certs.serverCertificate,
      keyFile: certs.serverKey,
      clientCAFile: certs.caFile
    )
    // The address every test client comes from: over mTLS it counts for nothing.
    configuration.trustedProxies = try TrustedProxies(parsing: "127.0.0.1")
    let account = try await TestServices.start(.account, configuration: configuration)
    func call<R: Sendable>(
      as certificate: String,
      _ key: String,
      _ body:
        @escaping @Sendable (Safemap_Account_V1_AccountService.Client<HTTP2ClientTransport.Posix>)
        async throws -> R
    ) async throws -> R {
      let transport = try HTTP2ClientTransport.Posix(
        target: .ipv4(address: "127.0.0.1", port: account.port),
        transportSecurity: .tls {
          $0.trustRoots = .certificates([.file(path: certs.caFile, format: .pem)])
          $0.certificateChain = [.file(path: certificate, format: .pem)]
          $0.privateKey = .file(path: key, format: .pem)
        },
        config: .defaults { $0.http2.authority = "localhost" }
      )
      return try await withGRPCClient(transport: transport) { client in
        try await body(Safemap_Account_V1_AccountService.Client(wrapping: client))
      }
    }
    // Another service's certificate, from the same CA and the same address: refused.
    await #expect {
      try await call(as: certs.clientCertificate, certs.clientKey) {
        try await $0.getWebSession(.with { $0.sessionID = "74.x.y" })
      }
    } throws: { ($0 as? RPCError)?.code == .permissionDenied }
    // web-service's: past the identity check (an unknown session is NOT_FOUND).
    await #expect {
      try await call(as: certs.webCertificate, certs.webKey) {
        try await $0.getWebSession(.with { $0.sessionID = "74.\(UUID()).abc" })
      }
    } throws: { ($0 as? RPCError)?.code == .notFound }
    // x-forwarded-for: believed from web-service's certificate only.
    for (certificate, key, claimed) in [
      (certs.clientCertificate, certs.clientKey, "203.0.113.1"),
      (certs.webCertificate, certs.webKey, "203.0.113.2"),
    ] {
      _ = try? await call(as: certificate, key) {
        try await $0.login(
          .with {
            $0.username = "nobody.\(claimed)"
            $0.password = "wrong"
          },
          metadata: ["x-forwarded-for": .string(claimed)]
        )
      }
    }
    let addresses = try await PostgresTesting.withClient(
      cluster.configuration(database: database)
    ) { client, logger in
      try await client.query(
        "SELECT actor_username, client_address FROM audit_events WHERE action = 'Login'",
        logger: logger
      ).decode((String, String).self).reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
    }
    #expect(addresses["nobody.203.0.113.1"] == "127.0.0.1")
    #expect(addresses["nobody.203.0.113.2"] == "203.0.113.2")
    try await account.stop()
  }

  @Test("a service calls another over mTLS, verifying it against the configured CA")
  func betweenServices() async throws {
    let certs = try await Self.certificates.value
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    var accountConfiguration = TestServices.configuration(
      .account,
      cluster: cluster,
      database: database
    )
    accountConfiguration.tls = TLSSettings(
      certificateFile: certs.serverCertificate,
      keyFile: certs.serverKey,
      clientCAFile: certs.caFile
    )
    let account = try await TestServices.start(.account, configuration: accountConfiguration)

    /// reporting-service calling account-service for the signing keys, with `tls`.
    func reporting(_ tls: TLSSettings) async throws -> (RunningService, Bool) {
      var configuration = TestServices.configuration(
        .reporting,
        cluster: cluster,
        database: database,
        accountServicePort: account.port
      )
      configuration.accountServiceHost = "127.0.0.1"
      configuration.tls = tls
      let service = try await TestServices.start(.reporting, configuration: configuration)
      let token = try await TestKeys.metadata(for: TestPrincipals.ministry)
      // A token verifies only once the keys came over the verified connection.
      // reporting-service serves TLS with its own certificate, which it also presents to
      // account-service as its client certificate.
      let security = HTTP2ClientTransport.Posix.TransportSecurity.tls {
        $0.trustRoots = .certificates([.file(path: certs.caFile, format: .pem)])
      }
      let verified = await eventually(timeout: .seconds(3)) {
        do {
          let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: service.port),
            transportSecurity: security,
            config: .defaults { $0.http2.authority = "localhost" }
          )
          try await withGRPCClient(transport: transport) { client in
            _ = try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
              .getNationalSummary(.init(), metadata: token)
          }
          return true
        } catch {
          return (error as? RPCError)?.code == .unimplemented
        }
      }
      return (service, verified)
    }
    let (good, goodVerified) = try await reporting(
      TLSSettings(
        certificateFile: certs.serverCertificate,
        keyFile: certs.serverKey,
        caFile: certs.caFile,
        serverName: "localhost"
      )
    )
    #expect(goodVerified)
    try await good.stop()
    // Trusting another CA, it refuses account-service's certificate and has no keys.
    let (doubting, doubtingVerified) = try await reporting(
      TLSSettings(
        certificateFile: certs.serverCertificate,
        keyFile: certs.serverKey,
        caFile: certs.strangerCertificate,
        serverName: "localhost"
      )
    )
    #expect(!doubtingVerified)
    try await doubting.stop()
    try await account.stop()
  }
}
