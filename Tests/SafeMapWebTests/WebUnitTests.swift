import Foundation
import SafeMapAPI
import SafeMapClient
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
      "SAFEMAP_ALLOW_PLAINTEXT": "true",
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

  @Test("plaintext to a service off this machine is refused unless allowed, naming the fix")
  func plaintextRefused() throws {
    #expect {
      try WebConfiguration.fromEnvironment(["SAFEMAP_REPORTING_SERVICE": "reporting:50053"])
    } throws: { error in
      "\(error)".contains("reporting-service") && "\(error)".contains("SAFEMAP_TLS_CA_FILE")
    }
    let allowed = try WebConfiguration.fromEnvironment([
      "SAFEMAP_REPORTING_SERVICE": "reporting:50053", "SAFEMAP_ALLOW_PLAINTEXT": "true",
    ])
    #expect(allowed.allowPlaintext)
    let secured = try WebConfiguration.fromEnvironment([
      "SAFEMAP_REPORTING_SERVICE": "reporting:50053", "SAFEMAP_TLS_CA_FILE": "/tls/ca.pem",
    ])
    #expect(secured.plaintextProblem == nil)
    #expect(try WebConfiguration.fromEnvironment([:]).plaintextProblem == nil, "loopback")
  }

  @Test("session ids are checked for their shape before any call; cookies take __Host- on HTTPS")
  func sessionIDsAndCookies() {
    let id = "74.\(UUID().uuidString.lowercased()).\(Secret.randomToken())"
    #expect(SessionStore.isWellFormed(id))
    for bad in [
      "", "74", "74.x.y", "7a.\(UUID().uuidString).abc", "74.\(UUID().uuidString).a b",
      "74.\(UUID().uuidString).\(String(repeating: "a", count: 300))", "%", "74..",
    ] {
      #expect(!SessionStore.isWellFormed(bad), "\(bad)")
    }
    #expect(CookieNames(secure: true).session == "__Host-safemap_session")
    #expect(CookieNames(secure: false).session == "safemap_session")
    #expect(CookieNames(secure: true).device == "__Host-safemap_device")
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
