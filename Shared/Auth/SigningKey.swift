public import Crypto
import Foundation

/// A public token-verification key as published by account-service (`GetSigningKeys`).
public struct PublicSigningKey: Sendable, Hashable {
  public var keyID: String
  /// Raw 32-byte Ed25519 public key.
  public var rawPublicKey: [UInt8]

  public init(keyID: String, rawPublicKey: [UInt8]) {
    self.keyID = keyID
    self.rawPublicKey = rawPublicKey
  }
}

/// An Ed25519 signing key with its `kid`.
public struct PrivateSigningKey: Sendable {
  public var keyID: String
  public var key: Curve25519.Signing.PrivateKey

  public init(keyID: String, key: Curve25519.Signing.PrivateKey) {
    self.keyID = keyID
    self.key = key
  }

  /// A fresh key whose id is derived from its public half, so ids never collide by accident.
  public static func generate() -> PrivateSigningKey {
    let key = Curve25519.Signing.PrivateKey()
    return PrivateSigningKey(keyID: keyID(for: key.publicKey), key: key)
  }

  public var publicKey: PublicSigningKey {
    PublicSigningKey(keyID: keyID, rawPublicKey: Array(key.publicKey.rawRepresentation))
  }

  static func keyID(for publicKey: Curve25519.Signing.PublicKey) -> String {
    let digest = SHA256.hash(data: publicKey.rawRepresentation)
    return "ed25519-" + digest.prefix(8).map { String(format: "%02x", $0) }.joined()
  }
}

/// The signing keys of account-service, as text: one key per line, `kid:base64(raw private
/// key)`; the first line signs, the others only verify (older keys during a rotation, or a
/// newer one being published before it starts signing). `#` starts a comment.
public enum SigningKeyFile {
  public struct Invalid: Error, CustomStringConvertible {
    public var description: String
  }

  public static func parse(_ text: String) throws -> [PrivateSigningKey] {
    var keys: [PrivateSigningKey] = []
    for (number, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let parts = line.split(separator: ":", maxSplits: 1)
      guard parts.count == 2, let data = Data(base64Encoded: String(parts[1])),
        let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: data)
      else {
        throw Invalid(description: "signing key line \(number + 1): expected kid:base64-key")
      }
      keys.append(PrivateSigningKey(keyID: String(parts[0]), key: key))
    }
    guard !keys.isEmpty else { throw Invalid(description: "no signing key found") }
    return keys
  }

  public static func render(_ keys: [PrivateSigningKey]) -> String {
    keys.map { "\($0.keyID):\($0.key.rawRepresentation.base64EncodedString())\n" }.joined()
  }
}
