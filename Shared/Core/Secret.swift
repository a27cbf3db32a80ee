/// Random secrets and their comparison, for every token SafeMap issues.
public enum Secret {
  /// 256 random bits from the system's generator, as base64url: too many to guess, short
  /// enough for a cookie or a URL.
  public static func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    return Base64URL.encode(
      (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    )
  }

  /// Compares in a time that depends on the lengths only, never on where the two differ, so a
  /// secret cannot be found one byte at a time.
  public static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
  }
}
