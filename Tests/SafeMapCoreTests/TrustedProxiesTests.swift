import SafeMapCore
import Testing

@Suite("Trusted proxies")
struct TrustedProxiesTests {
  @Test("addresses and CIDR blocks, IPv4 and IPv6, IPv4-mapped addresses as IPv4")
  func blocks() throws {
    let proxies = try TrustedProxies(parsing: "10.0.0.0/8, 192.168.1.7, fd00::/8")
    #expect(proxies.contains("10.200.3.4"))
    #expect(!proxies.contains("11.0.0.1"))
    #expect(proxies.contains("192.168.1.7") && !proxies.contains("192.168.1.8"))
    #expect(proxies.contains("fd12::1") && !proxies.contains("fe80::1"))
    #expect(proxies.contains("::ffff:10.1.1.1"))
    #expect(!proxies.contains("not an address"))
    #expect(throws: TrustedProxies.Invalid.self) { try TrustedProxies(parsing: "10.0.0.0/33") }
    #expect(throws: TrustedProxies.Invalid.self) { try TrustedProxies(parsing: "web-service") }
  }

  @Test("a forwarded address is believed only from a trusted peer, hop by hop")
  func forwarded() throws {
    let proxies = try TrustedProxies(parsing: "10.0.0.0/8")
    // From a trusted proxy: the last address that is not itself a proxy.
    #expect(proxies.client(peer: "10.0.0.5", forwardedFor: "203.0.113.9") == "203.0.113.9")
    #expect(
      proxies.client(peer: "10.0.0.5", forwardedFor: "1.2.3.4, 203.0.113.9, 10.0.0.9")
        == "203.0.113.9",
      "what the client itself wrote before the last untrusted hop is not believed"
    )
    // From anyone else: the peer, whatever it claims.
    #expect(proxies.client(peer: "198.51.100.2", forwardedFor: "203.0.113.9") == "198.51.100.2")
    #expect(TrustedProxies.none.client(peer: "10.0.0.5", forwardedFor: "1.2.3.4") == "10.0.0.5")
    #expect(proxies.client(peer: "10.0.0.5", forwardedFor: "garbage") == "10.0.0.5")
  }
}
