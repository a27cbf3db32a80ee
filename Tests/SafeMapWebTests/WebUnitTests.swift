import Foundation
import SafeMapAPI
import SafeMapCore
import SafeMapRuntime
import SwiftProtobuf
import Synchronization
import Testing

@testable import SafeMapWeb

final class Counter: Sendable {
  private let count = Mutex(0)
  func add() { count.withLock { $0 += 1 } }
  var value: Int { count.withLock { $0 } }
}

@Suite("web-service: configuration, sessions, form violations")
struct WebUnitTests {
  @Test("configuration from the environment, refusals naming the variable")
  func configuration() throws {
    let config = try WebConfiguration.fromEnvironment([
      "SAFEMAP_WEB_PORT": "9000", "SAFEMAP_REPORTING_SERVICE": "reporting:50053",
      "SAFEMAP_WEB_TILE_URL": "https://tile.example.vn/{z}/{x}/{y}.png",
      "SAFEMAP_WEB_TRUSTED_PROXIES": "10.0.0.0/8", "SAFEMAP_WEB_SECURE_COOKIES": "true",
    ])
    #expect(config.port == 9000)
    #expect(config.reportingService == .init(host: "reporting", port: 50053))
    #expect(TileOrigin(config.tileURL)?.origin == "https://tile.example.vn")
    #expect(config.trustedProxies.contains("10.1.2.3"))
    #expect(config.secureCookies)
    for (name, value) in [
      ("SAFEMAP_WEB_PORT", "80000"), ("SAFEMAP_ACCOUNT_SERVICE", "account"),
      ("SAFEMAP_WEB_TILE_URL", "tiles/{z}"), ("SAFEMAP_WEB_TRUSTED_PROXIES", "proxy"),
      ("SAFEMAP_WEB_SECURE_COOKIES", "yes"), ("SAFEMAP_TLS_CERT_FILE", "/tls/web.pem"),
    ] {
      #expect {
        try WebConfiguration.fromEnvironment([name: value])
      } throws: { error in
        "\(error)".contains(name)
      }
    }
  }

  static func account(passwordChange: Bool = false) -> SignedInAccount {
    SignedInAccount(
      .with {
        $0.username = "officer.74"
        $0.role = .provinceOfficer
        $0.scope.provinceCode = "74"
      },
      passwordChangeRequired: passwordChange
    )
  }

  static let tokens = WebSession.Tokens(
    access: "a",
    accessExpiry: Date().addingTimeInterval(900),
    refresh: "r"
  )

  @Test("sessions end when idle or too old, and a full store refuses rather than grows")
  func sessionLimits() async throws {
    let store = SessionStore(idle: 60, lifetime: 300, maximum: 2)
    let start = Date()
    let first = try await store.create(tokens: Self.tokens, account: Self.account(), now: start)
    #expect(first.id != first.csrfToken && first.id.count == 43)
    #expect(await store.find(first.id, now: start.addingTimeInterval(59)) != nil)
    #expect(await store.find(first.id, now: start.addingTimeInterval(118)) != nil, "touched")
    #expect(await store.find(first.id, now: start.addingTimeInterval(200)) == nil, "idle")
    let a = try await store.create(tokens: Self.tokens, account: Self.account(), now: start)
    _ = try await store.create(tokens: Self.tokens, account: Self.account(), now: start)
    await #expect(throws: SessionStore.Full.self) {
      try await store.create(tokens: Self.tokens, account: Self.account(), now: start)
    }
    // Once the others expire, room is made.
    _ = try await store.create(
      tokens: Self.tokens,
      account: Self.account(),
      now: start.addingTimeInterval(301)
    )
    #expect(await store.find(a.id, now: start.addingTimeInterval(301)) == nil, "too old")
  }

  @Test("an access token about to expire is exchanged once, however many requests ask")
  func refreshOnce() async throws {
    let store = SessionStore(idle: 600, lifetime: 3600, maximum: 10)
    var expiring = Self.tokens
    expiring.accessExpiry = Date().addingTimeInterval(30)
    let session = try await store.create(tokens: expiring, account: Self.account())
    let exchanges = Counter()
    let tokens = try await withThrowingTaskGroup(of: String?.self) { group in
      for _ in 0..<8 {
        group.addTask {
          try await store.accessToken(session.id) { refresh in
            #expect(refresh == "r")
            exchanges.add()
            try await Task.sleep(for: .milliseconds(50))
            return .init(access: "b", accessExpiry: Date().addingTimeInterval(900), refresh: "r2")
          }
        }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(exchanges.value == 1)
    #expect(Set(tokens) == ["b"])
    struct Revoked: Error {}
    var stale = Self.tokens
    stale.accessExpiry = Date()
    let other = try await store.create(tokens: stale, account: Self.account())
    await #expect(throws: Revoked.self) {
      try await store.accessToken(other.id) { _ in throw Revoked() }
    }
    #expect(await store.find(other.id) == nil, "a failed exchange ends the session")
  }

  @Test("the service's violations land beside their fields")
  func violationsBesideFields() {
    var filled = AssessmentPages.Filled(units: 2, values: [:])
    AssessmentPages.place(
      "units[0].answers: CS3 is not answered; units[1].answers[1].option_code: X is not an "
        + "option of NT2; units[1].unit_name: required; catalogue_version: retired",
      answered: [["CS1"], ["NT1", "NT2"]],
      into: &filled
    )
    #expect(filled.violations["unit0_CS3"] == "Chưa chọn.")
    #expect(filled.violations["unit1_NT2"] == "Lựa chọn không hợp lệ.")
    #expect(filled.violations["unit1_name"] == "Bắt buộc.")
    #expect(filled.errors == ["catalogue_version: retired"])
  }
}
