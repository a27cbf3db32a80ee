#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The peers whose word on the real client address is believed: web-service (and the load
/// balancers in front of it) say who the browser is; anyone else could claim any address and
/// escape the per-address login throttle.
///
/// Written as addresses or CIDR blocks (`10.0.0.0/8`, `127.0.0.1`, `fd00::/8`), comma
/// separated. An IPv4 address written as IPv6 (`::ffff:10.0.0.5`) matches as IPv4.
public struct TrustedProxies: Sendable, Hashable {
  /// Address bytes (4 or 16) and the number of leading bits that must match.
  struct Block: Sendable, Hashable {
    var bytes: [UInt8]
    var prefix: Int
  }

  var blocks: [Block]

  /// Nobody is trusted.
  public static let none = TrustedProxies(blocks: [])

  init(blocks: [Block]) { self.blocks = blocks }

  /// Parses `list`; the error names the entry that is not an address or block.
  public init(parsing list: String) throws(Invalid) {
    var blocks: [Block] = []
    for entry in list.split(separator: ",") {
      let text = entry.trimmingWhitespace()
      guard !text.isEmpty else { continue }
      let parts = text.split(separator: "/", maxSplits: 1)
      guard let bytes = Self.bytes(String(parts[0])) else { throw Invalid(entry: text) }
      var prefix = bytes.count * 8
      if parts.count == 2 {
        guard let bits = Int(parts[1]), (0...bytes.count * 8).contains(bits) else {
          throw Invalid(entry: text)
        }
        prefix = bits
      }
      blocks.append(Block(bytes: bytes, prefix: prefix))
    }
    self.blocks = blocks
  }

  public var isEmpty: Bool { blocks.isEmpty }

  /// Whether `address` (without a port) lies in one of the blocks.
  public func contains(_ address: String) -> Bool {
    guard let bytes = Self.bytes(address) else { return false }
    return blocks.contains { block in
      guard block.bytes.count == bytes.count else { return false }
      var remaining = block.prefix
      for (a, b) in zip(block.bytes, bytes) where remaining > 0 {
        let bits = min(8, remaining)
        let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        if a & mask != b & mask { return false }
        remaining -= bits
      }
      return true
    }
  }

  /// The client a request comes from: the last address of `forwardedFor` (an
  /// `X-Forwarded-For` list) that is not itself a trusted proxy, when `peer` is trusted;
  /// otherwise `peer`. Addresses appended by untrusted hops are never believed.
  public func client(peer: String, forwardedFor: String?) -> String {
    guard contains(peer), let forwardedFor else { return peer }
    var client = peer
    for hop in forwardedFor.split(separator: ",").reversed() {
      let address = hop.trimmingWhitespace()
      guard Self.bytes(address) != nil else { break }
      client = address
      if !contains(address) { break }
    }
    return client
  }

  /// Whether `text` is an IPv4 or IPv6 address (without a port).
  public static func isAddress(_ text: String) -> Bool { bytes(text) != nil }

  /// 4 bytes for IPv4 (also IPv4-mapped IPv6), 16 for IPv6; nil when not an address.
  static func bytes(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
      return withUnsafeBytes(of: &v4) { Array($0) }
    }
    var v6 = in6_addr()
    guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
    let bytes = withUnsafeBytes(of: &v6) { Array($0) }
    if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
      return Array(bytes[12...])
    }
    return bytes
  }

  public struct Invalid: Error, CustomStringConvertible {
    public var entry: String
    public var description: String { "not an address or CIDR block: \(entry)" }
  }
}

extension Substring {
  fileprivate func trimmingWhitespace() -> String {
    String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
  }
}
