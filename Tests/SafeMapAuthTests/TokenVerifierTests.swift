import Foundation
import GRPCCore
import SafeMapAuth
import SafeMapCore
import SafeMapTestExpectations
import SafeMapTestSupport
import Testing

/// The verifier remembers tokens it has checked; remembering must not outlive what the token
/// itself allows.
@Suite("Token verification")
struct TokenVerifierTests {
  static func verifier(keys: [PrivateSigningKey] = [TestKeys.signingKey]) async -> TokenVerifier {
    let verifier = TokenVerifier(audience: TestKeys.audience, issuer: TestKeys.issuer)
    await verifier.setKeys(keys.map(\.publicKey))
    return verifier
  }

  @Test("a token verified once is refused once it expires")
  func rememberedTokenExpires() async throws {
    let verifier = await Self.verifier()
    let (token, _) = try await TestKeys.signer(lifetime: 1).sign(TestPrincipals.provinceOfficer())
    let principal = try await verifier.verify(token)
    #expect(principal.role == .provinceOfficer && principal.provinceCode == "25")
    #expect(try await verifier.verify(token) == principal)
    try await Task.sleep(for: .milliseconds(1100))
    await expectCode(.unauthenticated, mentioning: "expired") { try await verifier.verify(token) }
  }

  @Test("a token verified once is refused as soon as its key is withdrawn")
  func withdrawnKey() async throws {
    let verifier = await Self.verifier()
    let (token, _) = try await TestKeys.signer().sign(TestPrincipals.ministry)
    _ = try await verifier.verify(token)
    await verifier.setKeys([PrivateSigningKey.generate().publicKey])
    await expectCode(.unauthenticated, mentioning: "unknown key") {
      try await verifier.verify(token)
    }
  }

  @Test("a key fetch that started earlier but finished later does not replace newer keys")
  func staleFetchIgnored() async throws {
    let verifier = TokenVerifier(audience: TestKeys.audience, issuer: TestKeys.issuer)
    // Start-up: fetch 1 found no key yet (not published), fetch 2 found it, 1 finished last.
    await verifier.setKeys([TestKeys.signingKey.publicKey], fetchOrder: 2)
    await verifier.setKeys([], fetchOrder: 1)
    let (token, _) = try await TestKeys.signer().sign(TestPrincipals.ministry)
    #expect(try await verifier.verify(token).role == .ministryAdmin)
    await verifier.setKeys([], fetchOrder: 3)
    #expect(verifier.keyIDs.isEmpty)
  }

  @Test("a remembered token does not make a forged one pass")
  func forgedStillRefused() async throws {
    let verifier = await Self.verifier()
    let (token, _) = try await TestKeys.signer().sign(TestPrincipals.ministry)
    _ = try await verifier.verify(token)
    var parts = token.split(separator: ".").map(String.init)
    parts[2] = String(parts[2].reversed())
    let forged = parts.joined(separator: ".")
    await expectCode(.unauthenticated, mentioning: "signature or format") {
      try await verifier.verify(forged)
    }
  }

  @Test("a refresh that brings the same keys keeps the remembered tokens; a change drops them")
  func unchangedKeysKeepCache() async throws {
    let verifier = await Self.verifier()
    let (token, _) = try await TestKeys.signer().sign(TestPrincipals.ministry)
    _ = try await verifier.verify(token)
    #expect(verifier.rememberedCount == 1)
    await verifier.setKeys([TestKeys.signingKey.publicKey])
    #expect(verifier.rememberedCount == 1)
    let added = PrivateSigningKey.generate()
    await verifier.setKeys([TestKeys.signingKey.publicKey, added.publicKey])
    #expect(verifier.rememberedCount == 0)
  }
}
