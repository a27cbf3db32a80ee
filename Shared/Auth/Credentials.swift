public import Crypto
import Foundation

/// Generated secrets: one-time passwords and refresh tokens.
public enum Credentials {
  /// Letters and digits without look-alikes (0/O, 1/l/I): 55 symbols, 5.78 bits each.
  static let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789")

  /// A one-time password of 20 symbols (115 bits), in groups of four for reading aloud:
  /// `Ab3d-Ef4h-…`. docs/architecture.md asks for at least 96 bits.
  public static func oneTimePassword() -> String {
    var generator = SystemRandomNumberGenerator()
    let symbols = (0..<20).map { _ in alphabet.randomElement(using: &generator)! }
    return stride(from: 0, to: 20, by: 4).map { String(symbols[$0..<$0 + 4]) }
      .joined(separator: "-")
  }

  public static func sha256(_ text: String) -> Data {
    Data(SHA256.hash(data: Data(text.utf8)))
  }

  /// A one-time password's stored form. One-time passwords are random with over 96 bits, so a
  /// fast hash resists guessing as well as Argon2 would, and bulk issuance of thousands of
  /// accounts is not held up by 20 MiB hashes; chosen passwords always get Argon2id.
  public static func oneTimePasswordHash(_ password: String) -> String {
    "$sha256$" + sha256(password).map { String(format: "%02x", $0) }.joined()
  }
}
