import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
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
