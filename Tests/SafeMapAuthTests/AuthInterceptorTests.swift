import Crypto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapAuth
import SafeMapClient
import SafeMapCore
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// Token checks at the door of a real account-service over TCP: every refusal the platform
/// promises, and the calls that must pass.
@Suite("Authentication")
struct AuthInterceptorTests {
  /// account-service and reporting-service sharing one migrated database.
  static let services = Task<(RunningService, RunningService), any Error> {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let account = try await TestServices.start(.account, database: database)
    let reporting = try await TestServices.start(
      .reporting,
      database: database,
      accountServicePort: account.port
    )
    return (account, reporting)
  }

  /// An RPC that needs a token: the zones of province 25 (provinces and districts are public
  /// reference data, the public map names them).
  static func listZones(port: Int, authorization: String?) async throws
    -> Safemap_Account_V1_ListZonesResponse
  {
    try await withLocalClient(port: port) { client in
      let facilities = Safemap_Account_V1_FacilityService.Client(wrapping: client)
      var metadata = Metadata()
      if let authorization { metadata.addString(authorization, forKey: "authorization") }
      return try await facilities.listZones(
        .with {
          $0.provinceCode = "25"
          $0.pageSize = 100
        },
        metadata: metadata
      )
    }
  }

  static func expectRefused(
    _ authorization: String?,
    code: RPCError.Code = .unauthenticated,
    sourceLocation: SourceLocation = #_sourceLocation
  ) async throws {
    let port = try await services.value.0.port
    await #expect(
      performing: { try await listZones(port: port, authorization: authorization) },
      throws: { ($0 as? RPCError)?.code == code }
    )
  }

  static func bearer(_ principal: Principal, signer: TokenSigner, now: Double? = nil)
    async throws -> String
  {
    let (token, _) = try await signer.sign(principal, now: now ?? Date().timeIntervalSince1970)
    return "Bearer \(token)"
  }

  /// A token with an arbitrary header and the claims of a valid token, signed by `sign`.
  static func handmade(header: [String: String], sign: (Data) -> Data) async throws -> String {
    let (valid, _) = try await TestKeys.signer().sign(TestPrincipals.ministry)
    let payload = valid.split(separator: ".")[1]
    let headerPart = base64URL(try JSONEncoder().encode(header))
    let signingInput = "\(headerPart).\(payload)"
    return "Bearer \(signingInput).\(base64URL(sign(Data(signingInput.utf8))))"
  }

  static func base64URL(_ data: Data) -> String {
    data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
      .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
  }

  @Test("a valid token passes and the handler answers")
  func validTokenPasses() async throws {
    let port = try await Self.services.value.0.port
    let authorization = try await Self.bearer(
      TestPrincipals.provinceOfficer(),
      signer: TestKeys.signer()
    )
    let response = try await Self.listZones(port: port, authorization: authorization)
    #expect(response.zones.allSatisfy { $0.provinceCode == "25" })
  }

  @Test("provinces and districts are public reference data: no token needed")
  func referenceDataIsPublic() async throws {
    let port = try await Self.services.value.0.port
    let (provinces, districts) = try await withLocalClient(port: port) { client in
      let facilities = Safemap_Account_V1_FacilityService.Client(wrapping: client)
      return (
        try await facilities.listProvinces(.with { $0.pageSize = 100 }).provinces,
        try await facilities.listDistricts(.with { $0.provinceCode = "74" }).districts
      )
    }
    #expect(provinces.count == 63 && provinces.first?.code == "01")
    #expect(districts.contains { $0.name == "Thủ Dầu Một" })
  }

  @Test("a missing token is UNAUTHENTICATED")
  func missingToken() async throws {
    try await Self.expectRefused(nil)
  }

  @Test("a scheme other than Bearer is UNAUTHENTICATED")
  func wrongScheme() async throws {
    try await Self.expectRefused("Basic YWRtaW46YWRtaW4=")
  }

  @Test("a malformed token is UNAUTHENTICATED")
  func malformedToken() async throws {
    try await Self.expectRefused("Bearer not-a-jwt")
    try await Self.expectRefused("Bearer a.b.c")
  }

  @Test("an expired token is UNAUTHENTICATED")
  func expiredToken() async throws {
    let authorization = try await Self.bearer(
      TestPrincipals.ministry,
      signer: TestKeys.signer(),
      now: Date().timeIntervalSince1970 - 3600
    )
    try await Self.expectRefused(authorization)
  }

  @Test("a token forged with another key under the real key id is UNAUTHENTICATED")
  func forgedSignature() async throws {
    let forger = PrivateSigningKey(
      keyID: TestKeys.signingKey.keyID,
      key: Curve25519.Signing.PrivateKey()
    )
    let authorization = try await Self.bearer(
      TestPrincipals.ministry,
      signer: TestKeys.signer(key: forger)
    )
    try await Self.expectRefused(authorization)
  }

  @Test("a token signed by a key that was never published is UNAUTHENTICATED")
  func unknownKey() async throws {
    let authorization = try await Self.bearer(
      TestPrincipals.ministry,
      signer: TestKeys.signer(key: .generate())
    )
    try await Self.expectRefused(authorization)
  }

  @Test("a token for another audience or from another issuer is UNAUTHENTICATED")
  func wrongAudienceOrIssuer() async throws {
    try await Self.expectRefused(
      Self.bearer(TestPrincipals.ministry, signer: TestKeys.signer(audience: "another-system"))
    )
    try await Self.expectRefused(
      Self.bearer(TestPrincipals.ministry, signer: TestKeys.signer(issuer: "someone-else"))
    )
  }

  @Test("alg none and HMAC tokens are UNAUTHENTICATED")
  func algorithmConfusion() async throws {
    let kid = TestKeys.signingKey.keyID
    try await Self.expectRefused(
      Self.handmade(header: ["alg": "none", "typ": "JWT", "kid": kid]) { _ in Data() }
    )
    // HS256 keyed with the public key: the classic confusion attack.
    let publicKey = SymmetricKey(data: TestKeys.signingKey.key.publicKey.rawRepresentation)
    try await Self.expectRefused(
      Self.handmade(header: ["alg": "HS256", "typ": "JWT", "kid": kid]) { input in
        Data(HMAC<SHA256>.authenticationCode(for: input, using: publicKey))
      }
    )
  }

  @Test("a token whose scope claims do not fit its role is refused, never read as national")
  func malformedScopeClaims() async throws {
    let signer = await TestKeys.signer()
    var officer = TestPrincipals.provinceOfficer()
    for province in ["", "2", "250", "00", "xx"] {
      officer.provinceCode = province
      try await Self.expectRefused(Self.bearer(officer, signer: signer))
    }
    var ministry = TestPrincipals.ministry
    ministry.provinceCode = "25"
    try await Self.expectRefused(Self.bearer(ministry, signer: signer))
    var district = TestPrincipals.provinceOfficer()
    district.role = .districtOfficer
    try await Self.expectRefused(Self.bearer(district, signer: signer))
  }

  @Test("a token that still needs a password change reaches only the allowed methods")
  func passwordChangeRequired() async throws {
    var principal = TestPrincipals.provinceOfficer()
    principal.passwordChangeRequired = true
    let authorization = try await Self.bearer(principal, signer: TestKeys.signer())
    try await Self.expectRefused(authorization, code: .failedPrecondition)
  }

  @Test("the signing keys are public and name the key the services sign with")
  func signingKeysArePublic() async throws {
    let port = try await Self.services.value.0.port
    let keys = try await withLocalClient(port: port) { client in
      try await Safemap_Account_V1_AccountService.Client(wrapping: client).getSigningKeys(.init())
    }
    #expect(keys.keys.map(\.keyID).contains(TestKeys.signingKey.keyID))
    #expect(keys.keys.allSatisfy { $0.algorithm == "EdDSA" && $0.publicKey.count == 32 })
  }

  @Test("reporting-service verifies with the keys it fetched from account-service")
  func otherServicesVerifyWithFetchedKeys() async throws {
    let port = try await Self.services.value.1.port
    let call: @Sendable (String?) async throws -> Void = { authorization in
      try await withLocalClient(port: port) { client in
        var metadata = Metadata()
        if let authorization { metadata.addString(authorization, forKey: "authorization") }
        _ = try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
          .getNationalSummary(.init(), metadata: metadata)
      }
    }
    await #expect(
      performing: { try await call(nil) },
      throws: {
        ($0 as? RPCError)?.code == .unauthenticated
      }
    )
    let forged = try await Self.bearer(
      TestPrincipals.ministry,
      signer: TestKeys.signer(key: .generate())
    )
    await #expect(
      performing: { try await call(forged) },
      throws: {
        ($0 as? RPCError)?.code == .unauthenticated
      }
    )
    // A valid token gets through authentication to the handler, which belongs to a later
    // issue; the keys may take a moment to load after start.
    let valid = try await Self.bearer(TestPrincipals.ministry, signer: TestKeys.signer())
    let reached = await eventually {
      do {
        try await call(valid)
        return true
      } catch {
        return (error as? RPCError)?.code == .unimplemented
      }
    }
    #expect(reached)
  }
}
