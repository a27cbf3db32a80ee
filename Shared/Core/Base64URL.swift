import ExtrasBase64

/// base64url without padding (RFC 4648 §5): the text of every token SafeMap hands out (page,
/// refresh, session, device and CSRF tokens) and of a JWT's parts.
public enum Base64URL {
  public static func encode(_ bytes: some Collection<UInt8>) -> String {
    Base64.encodeToString(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter])
  }

  /// The bytes, or nil for anything that is not base64url without padding.
  public static func decode(_ text: some StringProtocol) -> [UInt8]? {
    try? Base64.decode(
      string: String(text),
      options: [.base64UrlAlphabet, .omitPaddingCharacter]
    )
  }
}
