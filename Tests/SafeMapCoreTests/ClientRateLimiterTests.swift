import Testing

@testable import SafeMapCore

@Suite("Per-client rate limit")
struct ClientRateLimiterTests {
  @Test("a burst, then refusals with the seconds to wait, then one token per interval")
  func burstThenRefill() {
    let limiter = ClientRateLimiter(rule: .init(burst: 3, perSecond: 0.5))
    let start = ContinuousClock.now
    for _ in 0..<3 { #expect(limiter.admit("10.0.0.1", now: start) == .allowed) }
    #expect(limiter.admit("10.0.0.1", now: start) == .limited(retryAfter: 2))
    // Another client is not held to the first one's count.
    #expect(limiter.admit("10.0.0.2", now: start) == .allowed)
    #expect(limiter.admit("10.0.0.1", now: start + .seconds(2)) == .allowed)
    #expect(limiter.admit("10.0.0.1", now: start + .seconds(2)) == .limited(retryAfter: 2))
  }

  @Test("IPv6 clients share one bucket per /64, IPv4-mapped ones are their IPv4 address")
  func ipv6PerPrefix() {
    let limiter = ClientRateLimiter(rule: .init(burst: 2, perSecond: 0.1))
    let now = ContinuousClock.now
    #expect(limiter.admit("2001:db8:1:2::1", now: now) == .allowed)
    #expect(limiter.admit("2001:db8:1:2:ffff::9", now: now) == .allowed)
    #expect(limiter.admit("2001:db8:1:2:aaaa::7", now: now) != .allowed, "same /64")
    #expect(limiter.admit("2001:db8:1:3::1", now: now) == .allowed, "another /64")
    #expect(limiter.admit("::ffff:192.0.2.1", now: now) == .allowed)
    #expect(limiter.admit("192.0.2.1", now: now) == .allowed)
    #expect(limiter.admit("192.0.2.1", now: now) != .allowed, "the mapped address counted")
  }

  @Test("the table of clients stays bounded however many addresses ask")
  func boundedClients() {
    let limiter = ClientRateLimiter(rule: .init(burst: 5, perSecond: 1), maximumClients: 1_000)
    let now = ContinuousClock.now
    for i in 0..<10_000 {
      _ = limiter.admit("10.\(i / 65_536).\(i / 256 % 256).\(i % 256)", now: now)
    }
    #expect(limiter.trackedClients <= 1_000)
    #expect(limiter.trackedClients > 0)
  }
}
