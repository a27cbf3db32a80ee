import Foundation
public import GRPCCore
public import JWTKit
public import SafeMapCore
import Synchronization

/// Verifies access tokens locally against the published Ed25519 keys.
///
/// Only `alg: EdDSA` with a known `kid` is accepted, so `alg: none`, HMAC confusion and tokens
/// signed by a key that was never published all fail before any claim is read. Every refusal is
/// `UNAUTHENTICATED` with a short reason; the keys are replaced atomically by
/// ``SigningKeyRefresher`` so rotation needs no restart.
public final class TokenVerifier: Sendable {
  public let audience: String
  public let issuer: String

  private struct State {
    var keys = JWTKeyCollection()
    var keyIDs: Set<String> = []
    /// The published keys in use, to tell a refresh that changed nothing from one that did.
    var published: [String: [UInt8]] = [:]
    /// Bumped by every key change, so a verification that straddles one is not remembered.
    var generation = 0
    /// The `fetchOrder` of the keys in use.
    var appliedFetch = 0
    /// Tokens already verified under the current keys, until they expire. A client sends the
    /// same token with every call of its session, and the Ed25519 check costs more than the
    /// rest of a small call's authentication. Cleared whenever the keys change, so a key taken
    /// out of service stops working at the same moment as without the cache.
    var verified: [String: Principal] = [:]
  }
  private let state = Mutex(State())
  /// At most this many remembered tokens; expired ones go first, then all.
  static let verifiedCapacity = 20_000
  /// Called when a token names a key this verifier does not know yet (rate-limited by the
  /// refresher), so a freshly rotated key is picked up before the next periodic refresh.
  private let unknownKeyHandler = Mutex<(@Sendable () async -> Void)?>(nil)

  public init(audience: String, issuer: String) {
    self.audience = audience
    self.issuer = issuer
  }

  /// Replaces the set of verification keys.
  ///
  /// - Parameter fetchOrder: when the keys come from a fetch, its place in the order fetches
  ///   started. A result older than the one in use is dropped: at start-up a fetch that began
  ///   before account-service published its key (and found none) can finish after the one that
  ///   found it, and must not empty the set.
  public func setKeys(_ keys: [PublicSigningKey], fetchOrder: Int? = nil) async {
    let collection = JWTKeyCollection()
    var ids: Set<String> = []
    var published: [String: [UInt8]] = [:]
    for key in keys {
      guard let publicKey = try? eddsaPublicKey(key.rawPublicKey) else { continue }
      await collection.add(eddsa: publicKey, kid: JWKIdentifier(string: key.keyID))
      ids.insert(key.keyID)
      published[key.keyID] = key.rawPublicKey
    }
    state.withLock { state in
      if let fetchOrder {
        guard fetchOrder > state.appliedFetch else { return }
        state.appliedFetch = fetchOrder
      }
      // The same keys again (the periodic refresh): the remembered tokens stay valid.
      guard published != state.published || state.keyIDs.isEmpty else { return }
      state.published = published
      state.keys = collection
      state.keyIDs = ids
      state.generation += 1
      state.verified = [:]
    }
  }

  public var keyIDs: Set<String> { state.withLock { $0.keyIDs } }

  /// Tokens remembered as verified (tests).
  package var rememberedCount: Int { state.withLock { $0.verified.count } }

  func onUnknownKey(_ handler: @escaping @Sendable () async -> Void) {
    unknownKeyHandler.withLock { $0 = handler }
  }

  /// The principal of a valid token, or `RPCError(.unauthenticated)`.
  public func verify(_ token: String) async throws -> Principal {
    let now = Date().timeIntervalSince1970
    if let known = state.withLock({ $0.verified[token] }), known.expiresAt > now {
      return known
    }
    let (principal, generation) = try await verifySignatureAndClaims(token)
    state.withLock { state in
      guard state.generation == generation else { return }
      if state.verified.count >= Self.verifiedCapacity {
        state.verified = state.verified.filter { $0.value.expiresAt > now }
        if state.verified.count >= Self.verifiedCapacity / 2 { state.verified = [:] }
      }
      state.verified[token] = principal
    }
    return principal
  }

  /// The full check, and the key generation it was made under.
  private func verifySignatureAndClaims(_ token: String) async throws -> (Principal, Int) {
    let header = try Self.header(of: token)
    guard header.alg == "EdDSA" else { throw Self.refusal("token algorithm must be EdDSA") }
    guard let kid = header.kid, !kid.isEmpty else { throw Self.refusal("token has no key id") }
    var (keys, known, generation) = state.withLock {
      ($0.keys, $0.keyIDs.contains(kid), $0.generation)
    }
    if !known, let refresh = unknownKeyHandler.withLock({ $0 }) {
      await refresh()
      (keys, known, generation) = state.withLock {
        ($0.keys, $0.keyIDs.contains(kid), $0.generation)
      }
    }
    guard known else {
      if state.withLock({ $0.keyIDs.isEmpty }) {
        throw RPCError(code: .unavailable, message: "token signing keys not loaded yet; retry")
      }
      throw Self.refusal("token signed by an unknown key")
    }
    let claims: AccessTokenClaims
    do {
      claims = try await keys.verify(token, as: AccessTokenClaims.self)
    } catch let error as JWTError where error.errorType == .claimVerificationFailure {
      throw Self.refusal("token expired")
    } catch {
      throw Self.refusal("token signature or format is invalid")
    }
    guard claims.audience.value.contains(audience) else {
      throw Self.refusal("token is for another audience")
    }
    guard claims.issuer.value == issuer else { throw Self.refusal("token from another issuer") }
    guard Role(rawValue: claims.role) != nil else {
      throw Self.refusal("token has an unknown role")
    }
    guard let principal = claims.principal else {
      throw Self.refusal("token scope claims do not fit its role")
    }
    return (principal, generation)
  }

  static func refusal(_ reason: String) -> RPCError {
    RPCError(code: .unauthenticated, message: reason)
  }

  struct Header: Decodable {
    var alg: String?
    var kid: String?
  }

  /// Decodes the JOSE header without trusting it, to refuse what we never accept.
  static func header(of token: String) throws -> Header {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, let bytes = Base64URL.decode(parts[0]),
      let header = try? JSONDecoder().decode(Header.self, from: Data(bytes))
    else { throw refusal("token is malformed") }
    return header
  }
}

private func eddsaPublicKey(_ raw: [UInt8]) throws -> EdDSA.PublicKey {
  try EdDSA.PublicKey(x: Base64URL.encode(raw), curve: .ed25519)
}
