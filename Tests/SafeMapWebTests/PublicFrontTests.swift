import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapClient
import SafeMapCore
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@testable import SafeMapWeb

#if canImport(Glibc)
  import Glibc
#endif

/// The part of web-service anyone on the internet reaches, and the sessions behind it, tested
/// over real HTTP against the real services.
@Suite("web-service: the public front", .serialized)
struct PublicFrontTests {
  @Test("sessions live in account-service: another replica serves them, restarts keep them")
  func sessionsAcrossReplicas() async throws {
    let bed = try await WebTestBed.shared.value
    let configure: (inout WebConfiguration) throws -> Void = { $0.sessionCacheSeconds = 3 }
    var (first, firstPort) = try await bed.startWeb(configure: configure)
    var (second, secondPort) = try await bed.startWeb(configure: configure)
    let client = WebClient(port: firstPort)
    let landed = try await bed.signIn(client, WebTestBed.officer, WebTestBed.officerPassword)
    #expect(landed.status == 302)
    let cookie = try #require(client.cookies["safemap_session"])
    // Work through the other replica.
    let other = WebClient(port: secondPort)
    other.setCookie("safemap_session", cookie)
    #expect(try await other.get("/dashboard").status == 200)
    // Restart both: still signed in.
    await first.shutdown()
    await second.shutdown()
    (first, firstPort) = try await bed.startWeb(configure: configure)
    (second, secondPort) = try await bed.startWeb(configure: configure)
    let clients = [firstPort, secondPort].map { port in
      let client = WebClient(port: port)
      client.setCookie("safemap_session", cookie)
      return client
    }
    #expect(try await clients[0].get("/dashboard").status == 200)
    // Past the cached answer, 50 requests at once over both replicas: one lookup each at
    // account-service, nobody signed out.
    try await Task.sleep(for: .milliseconds(3_100))
    let before = (await first.sessions.lookups, await second.sessions.lookups)
    let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
      for index in 0..<50 {
        let client = clients[index % 2]
        group.addTask { try await client.get("/lists?kind=r4").status }
      }
      return try await group.reduce(into: [Int]()) { $0.append($1) }
    }
    #expect(statuses.allSatisfy { $0 == 200 }, "\(Set(statuses))")
    let after = (await first.sessions.lookups, await second.sessions.lookups)
    #expect(after.0 - before.0 == 1 && after.1 - before.1 == 1, "\(before) → \(after)")
    #expect(try await clients[1].get("/dashboard").status == 200, "still signed in")
    // Signing out through one replica ends the session for both.
    let dashboard = try await clients[0].get("/dashboard")
    _ = try await clients[0].post("/logout", form: [("csrf", dashboard.csrf ?? "")])
    try await Task.sleep(for: .milliseconds(3_100))
    #expect(try await clients[1].get("/dashboard").header("Location")?.hasPrefix("/login") == true)
    await first.shutdown()
    await second.shutdown()
  }

  @Test("a password change gives the browser a new session id; the old one opens nothing")
  func passwordChangeRotatesSession() async throws {
    let bed = try await WebTestBed.shared.value
    let officer = try await bed.token(WebTestBed.officer, WebTestBed.officerPassword)
    let created = try await bed.newDistrictOfficer(officer)
    let client = WebClient(port: bed.webPort)
    try await bed.signIn(client, created.account.username, created.initialPassword)
    let before = try #require(client.cookies["safemap_session"])
    let form = try await client.get("/password")
    let changed = try await client.post(
      "/password",
      form: [
        ("csrf", form.csrf ?? ""), ("current_password", created.initialPassword),
        ("new_password", "Thủ-Dầu-Một-mới-2021"), ("confirm_password", "Thủ-Dầu-Một-mới-2021"),
      ]
    )
    #expect(changed.status == 302 && changed.header("Location") == "/dashboard")
    let after = try #require(client.cookies["safemap_session"])
    #expect(after != before)
    #expect(try await client.get("/dashboard").status == 200)
    let stale = WebClient(port: bed.webPort)
    stale.setCookie("safemap_session", before)
    // A second replica has never seen it: account-service ended it with the change.
    let (replica, replicaPort) = try await bed.startWeb()
    let elsewhere = WebClient(port: replicaPort)
    elsewhere.setCookie("safemap_session", before)
    let refused = try await elsewhere.get("/dashboard")
    #expect(refused.header("Location")?.hasPrefix("/login") == true, "\(refused.status)")
    await replica.shutdown()
  }

  @Test("over HTTPS the cookies take the __Host- prefix and Secure, and HSTS is sent")
  func secureCookies() async throws {
    let bed = try await WebTestBed.shared.value
    let (web, port) = try await bed.startWeb { $0.secureCookies = true }
    let page = try await WebClient(port: port).get("/login")
    let setCookie = page.header("Set-Cookie") ?? ""
    #expect(setCookie.contains("__Host-safemap_login="), "\(setCookie)")
    #expect(setCookie.contains("Secure") && setCookie.contains("Path=/"))
    #expect(!setCookie.lowercased().contains("domain="))
    #expect(page.header("Strict-Transport-Security")?.contains("max-age=31536000") == true)
    await web.shutdown()
  }

  @Test("anonymous pages are rate limited per browser: 429 with Retry-After, IPv6 per /64")
  func anonymousRateLimit() async throws {
    let bed = try await WebTestBed.shared.value
    let (web, port) = try await bed.startWeb {
      $0.anonymousRateLimit = .init(burst: 5, perSecond: 0.2)
    }
    let client = WebClient(port: port)
    func status(_ path: String, from address: String) async throws -> WebClient.Page {
      try await client.get(path, headers: ["X-Forwarded-For": address])
    }
    for _ in 0..<5 { #expect(try await status("/login", from: "198.51.100.1").status == 200) }
    let limited = try await status("/api/public-map?province=74", from: "198.51.100.1")
    #expect(limited.status == 429)
    #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
    #expect(limited.text.contains("Quá nhiều yêu cầu"))
    #expect(try await status("/login", from: "198.51.100.2").status == 200, "another browser")
    for index in 0..<5 {
      _ = try await status("/login", from: "2001:db8:5:6::\(index + 1)")
    }
    #expect(try await status("/", from: "2001:db8:5:6:ffff::1").status == 429, "same /64")
    // Static files and signed-in pages are not held to it.
    #expect(try await status("/static/site.css", from: "198.51.100.1").status == 200)
    await web.shutdown()
  }

  @Test("GetPublicMap and Login are rate limited per client at the services too")
  func grpcRateLimit() async throws {
    let bed = try await WebTestBed.shared.value
    var configuration = bed.reporting.host.configuration
    configuration.grpcPort = 0
    configuration.metricsPort = nil
    configuration.anonymousRateLimit = .init(burst: 3, perSecond: 0.1)
    let reporting = try await TestServices.start(.reporting, configuration: configuration)
    var codes: [RPCError.Code?] = []
    for _ in 0..<5 {
      do {
        _ = try await withLocalClient(port: reporting.port) { client in
          try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client).getPublicMap(
            .with { $0.provinceCode = "74" }
          )
        }
        codes.append(nil)
      } catch let error as RPCError {
        codes.append(error.code)
        if error.code == .resourceExhausted {
          #expect(error.message.contains("retry in"))
        }
      }
    }
    #expect(codes == [nil, nil, nil, .resourceExhausted, .resourceExhausted], "\(codes)")
    try await reporting.stop()
  }

  @Test("next with control characters, bodies over 64 KiB, hostile forms: refused, never a crash")
  func hostileRequests() async throws {
    let bed = try await WebTestBed.shared.value
    let port = bed.webPort
    // What killed web-service before any CSRF or session check.
    for body in ["a=%", "a=%zz&b=1", "a=b c", "a=#", "csrf=%&username=%"] {
      let request = Array(
        ("POST /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
          + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
          + "\(body.utf8.count)\r\n\r\n\(body)").utf8
      )
      let reply = try await RawHTTP.sendOffPool(request, port: port)
      #expect(reply.status == 403, "\(body): \(reply.head.prefix(40))")
    }
    let big = "username=" + String(repeating: "a", count: 70 * 1024)
    let tooLarge = try await WebClient(port: port).post("/login", form: [("x", big)])
    #expect(tooLarge.status == 413)
    // `next` leading off the site through a tab the browser would drop.
    let client = WebClient(port: port)
    let form = try await client.get("/login?next=/%09/evil.example")
    #expect(!form.text.contains("evil.example"))
    let signedIn = try await client.post(
      "/login",
      form: [
        ("csrf", form.csrf ?? ""), ("username", WebTestBed.officer),
        ("password", WebTestBed.officerPassword), ("next", "/\t/evil.example"),
      ]
    )
    #expect(signedIn.header("Location") == "/dashboard")
    #expect(try await RawHTTP.sendOffPool(RequestFuzzer.health, port: port).status == 200)
  }

  @Test("1,000 idle connections do not stop service, and idle ones are closed")
  func idleConnections() async throws {
    let bed = try await WebTestBed.shared.value
    let (web, port) = try await bed.startWeb { $0.idleTimeoutSeconds = 2 }
    // Opened off the cooperative pool: web-service's accept loop runs there.
    let (sockets, slow) = try await RawHTTP.onThread { () throws -> ([Int32], Int32) in
      var sockets: [Int32] = []
      for _ in 0..<1_000 { sockets.append(try RawHTTP.connect(port: port)) }
      // One more sends only half a request head, as slow clients do.
      let slow = try RawHTTP.connect(port: port)
      _ = "GET / HTTP/1.1\r\nHost:".withCString { Glibc.send(slow, $0, 20, Int32(MSG_NOSIGNAL)) }
      return (sockets, slow)
    }
    defer { for socket in sockets + [slow] { close(socket) } }
    let started = ContinuousClock.now
    let health = try await RawHTTP.sendOffPool(RequestFuzzer.health, port: port)
    #expect(health.status == 200)
    #expect(ContinuousClock.now - started < .seconds(2))
    let closed = try await RawHTTP.onThread { RawHTTP.isClosed(slow, within: 6) }
    #expect(closed, "a connection idle past the timeout is closed")
    await web.shutdown()
  }
}
