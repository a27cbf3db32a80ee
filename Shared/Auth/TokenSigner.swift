import Foundation
public import JWTKit
public import SafeMapCore

/// Signs access tokens with the active Ed25519 key (account-service; tests).
public struct TokenSigner: Sendable {
  public let audience: String
  public let issuer: String
  /// Access-token lifetime: 15 minutes (docs/architecture.md: tokens and passwords).
  public let lifetime: Double
  public let activeKeyID: String
  private let keys: JWTKeyCollection

  public init(
    activeKey: PrivateSigningKey,
    audience: String,
    issuer: String,
    lifetime: Double = 900
  ) async {
    self.audience = audience
    self.issuer = issuer
    self.lifetime = lifetime
    self.activeKeyID = activeKey.keyID
    let keys = JWTKeyCollection()
    await keys.add(
      eddsa: EdDSA.PrivateKey(backing: activeKey.key),
      kid: JWKIdentifier(string: activeKey.keyID)
    )
    self.keys = keys
  }

  /// A signed token for `principal`; `principal.tokenID` becomes `jti` (a UUID if empty).
  public func sign(_ principal: Principal, now: Double = Date().timeIntervalSince1970)
    async throws -> (token: String, claims: AccessTokenClaims)
  {
    var principal = principal
    if principal.tokenID.isEmpty { principal.tokenID = UUID().uuidString.lowercased() }
    let claims = AccessTokenClaims(
      principal: principal,
      audience: audience,
      issuer: issuer,
      issuedAt: now,
      lifetime: lifetime
    )
    let token = try await keys.sign(claims, kid: JWKIdentifier(string: activeKeyID))
    return (token, claims)
  }
}
