import Foundation
import GRPCCore
import Logging
import PostgresNIO
import SafeMapAPI
import SafeMapCore
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@testable import SafeMapAccount

@Suite("Throttle keys")
struct ThrottleKeyTests {
  @Test("IPv6 clients count per /64; IPv4-mapped clients as their IPv4 address")
  func addressKeys() {
    let a = ClientKey.of("2001:db8:1:2:aaaa::1")
    #expect(a == "2001:db8:1:2::/64")
    #expect(ClientKey.of("2001:0db8:0001:0002:ffff:1:2:3") == a)
    #expect(ClientKey.of("2001:db8:1:3::1") != a)
    #expect(ClientKey.of("::ffff:10.0.0.5") == "10.0.0.5")
    #expect(ClientKey.of("10.0.0.5") == "10.0.0.5")
    let keys = LoginThrottle.keys(username: "Facility.X", address: "10.0.0.5").map(\.name)
    #expect(keys == ["user:10.0.0.5|facility.x", "address:10.0.0.5"])
    // A known device is its own key: nothing of the address counts.
    let device = LoginThrottle.keys(username: "Facility.X", address: "10.0.0.5", device: "ab12")
    #expect(device.map(\.name) == ["device:ab12"])
  }
}
