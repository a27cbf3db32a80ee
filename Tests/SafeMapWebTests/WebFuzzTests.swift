import Foundation
import SafeMapAPI
import SafeMapCore
import SafeMapWeb
import Testing

/// Random and mutated HTTP requests against a running web-service, across every route, with
/// and without a session and its CSRF token: no answer may be a 500, and the process must
/// serve throughout. CI sends 2,000; `make fuzz-web` sends 100,000 (SAFEMAP_FUZZ_REQUESTS)
/// and writes every request it sent to SAFEMAP_FUZZ_LOG when set.
@Suite("web-service fuzz")
struct WebFuzzTests {
  /// Requests in flight at once: one leaves a core for the rest of the test suite, which
  /// runs beside this test on a two-core machine.
  static var concurrency: Int {
    ProcessInfo.processInfo.environment["SAFEMAP_FUZZ_CONCURRENCY"].flatMap { Int($0) } ?? 1
  }

  static var requests: Int {
    ProcessInfo.processInfo.environment["SAFEMAP_FUZZ_REQUESTS"].flatMap { Int($0) } ?? 2_000
  }

  @Test("random and mutated requests on every route: no crash, no 500, serving throughout")
  func fuzz() async throws {
    let bed = try await WebTestBed.shared.value
    // A replica of its own, with the public rate limit on (as deployed) but generous.
    let (web, port) = try await bed.startWeb { configuration in
      configuration.anonymousRateLimit = .init(burst: 1_000_000, perSecond: 1_000_000)
    }
    // A signed-in district officer: its session and CSRF token reach the handlers behind
    // the session checks (it can change little, and nothing of other tests).
    let officer = try await bed.token(WebTestBed.officer, WebTestBed.officerPassword)
    let created = try await bed.newDistrictOfficer(officer)
    let client = WebClient(port: port)
    try await bed.signIn(client, created.account.username, created.initialPassword)
    let passwordForm = try await client.get("/password")
    let newPassword = "Fuzz-Thủ-Dầu-Một-\(UUID().uuidString.prefix(6))"
    _ = try await client.post(
      "/password",
      form: [
        ("csrf", passwordForm.csrf ?? ""), ("current_password", created.initialPassword),
        ("new_password", newPassword), ("confirm_password", newPassword),
      ]
    )
    let session = try #require(client.cookies["safemap_session"])
    let csrf = try #require(try await client.get("/dashboard").csrf)
    var fuzzer = RequestFuzzer(session: session, csrf: csrf, port: port)
    let log = ProcessInfo.processInfo.environment["SAFEMAP_FUZZ_LOG"].flatMap {
      FileManager.default.createFile(atPath: $0, contents: nil)
      return FileHandle(forWritingAtPath: $0)
    }
    var statuses: [Int: Int] = [:]
    var unanswered = 0
    var failures: [String] = []
    let total = Self.requests
    let started = ContinuousClock.now
    var sent = 0
    while sent < total {
      let batch = (0..<min(Self.concurrency, total - sent)).map { _ in fuzzer.next() }
      sent += batch.count
      let replies = try await withThrowingTaskGroup(of: (Int, RawHTTP.Reply).self) { group in
        for (index, request) in batch.enumerated() {
          group.addTask { (index, try await RawHTTP.sendOffPool(request, port: port)) }
        }
        return try await group.reduce(into: [Int: RawHTTP.Reply]()) { $0[$1.0] = $1.1 }
      }
      for (index, request) in batch.enumerated() {
        let reply = replies[index]!
        if let status = reply.status {
          statuses[status, default: 0] += 1
          if status >= 500 && status != 503 {
            failures.append("\(status) for \(RequestFuzzer.describe(request))")
          }
        } else {
          unanswered += 1
        }
        log?.write(Data((RequestFuzzer.describe(request) + "\n").utf8))
      }
      if sent % 200 < Self.concurrency {
        let health = try await RawHTTP.sendOffPool(RequestFuzzer.health, port: port)
        #expect(health.status == 200, "web-service stopped serving after \(sent) requests")
        if health.status != 200 { break }
      }
    }
    try log?.close()
    let health = try await RawHTTP.sendOffPool(RequestFuzzer.health, port: port)
    let seconds = Double((ContinuousClock.now - started).components.seconds)
    print(
      "fuzz: \(sent) requests in \(Int(seconds)) s; answered by status "
        + statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        .joined(separator: ", ")
        + "; closed unanswered (unframeable): \(unanswered)"
    )
    #expect(health.status == 200)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
    await web.shutdown()
  }
}

/// Requests built from the site's routes and the inputs that break parsers: stray `%`,
/// raw spaces and `#`, control bytes, long values, wrong content types, forged cookies and
/// tokens; a fifth of them then mutated byte by byte.
struct RequestFuzzer {
  let session: String
  let csrf: String
  let port: Int
  var random = SystemRandomNumberGenerator()

  static let health = Array("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)

  static let paths = [
    "/", "/api/public-map", "/login", "/logout", "/password", "/dashboard", "/lists",
    "/lists/export.csv", "/campaigns", "/campaigns/\(UUID())", "/campaigns/x%zz", "/trend",
    "/campaigns/\(UUID())/units", "/campaigns/\(UUID())/review", "/campaigns/\(UUID())/submit",
    "/campaigns/\(UUID())/letter", "/campaigns/%/letter",
    "/facility", "/facilities/\(UUID())", "/facilities/%", "/assess", "/assessments/\(UUID())",
    "/issue", "/issue/sheets/abc", "/nominations", "/nominations/sheet", "/nominations/review",
    "/nominations/issue", "/nominations/\(UUID())/answer", "/nominations/%/answer",
    "/nominations/drives", "/nominations/drives/\(UUID())", "/nominations/drives/x/respond",
    "/credentials", "/credentials/hand-out", "/healthz", "/readyz", "/static/site.css",
    "/static/../Package.swift", "/vendor/leaflet/leaflet.js", "/vendor/leaflet/%2e%2e/x",
    "/nope", "//evil.example", "/%", "/a b", "/\u{1}",
  ]
  static let methods = [
    "GET", "GET", "GET", "POST", "POST", "POST", "HEAD", "PUT", "DELETE",
    "OPTIONS", "PATCH", "FOO", "",
  ]
  static let keys = [
    "province", "level", "next", "kind", "district", "zone", "as_of", "page_token", "campaign",
    "by", "granularity", "csrf", "username", "password", "current_password", "new_password",
    "confirm_password", "units", "unit0_name", "unit0_CS1", "title", "deadline", "file", "id",
    "action", "reason", "csv", "tax_code", "district_code", "worker_count", "method", "status",
    "reissue", "unit", "state", "drive", "comment", "",
  ]
  static let values = [
    "74", "25", "00", "99", "7", "SAFE", "UNSAFE", "NOPE", "r4", "r5", "campaign", "718", "%",
    "%zz", "%e1%bb", "%00", "+", "a b", "#", "\u{0}", "\u{7F}", "Bình Dương", "../../etc/passwd",
    "<script>alert(1)</script>", "' OR 1=1 --", "-1", "99999999999999999999", "2021-02-30",
    "2021-09-20T07:00", "/\t/evil.example", "//evil.example", "=HYPERLINK(\"x\")", "",
    String(repeating: "x", count: 5_000), String(repeating: "%", count: 300),
    UUID().uuidString, "true", "1e308", "NaN",
  ]
  static let contentTypes = [
    "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
    "application/json", "multipart/form-data; boundary=x", "multipart/form-data", "text/csv",
    "text/plain", "garbage", "application/x-www-form-urlencoded\u{1}",
  ]

  mutating func pick<T>(_ items: [T]) -> T {
    items[Int.random(in: 0..<items.count, using: &random)]
  }
  mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }

  mutating func pairs(_ count: Int) -> String {
    (0..<count).map { _ in
      let key = pick(Self.keys)
      let value = key == "csrf" && chance(0.5) ? csrf : pick(Self.values)
      return chance(0.3)
        ? key : "\(key)=\(chance(0.5) ? FormEncodingForTests.encode(value) : value)"
    }.joined(separator: "&")
  }

  mutating func next() -> [UInt8] {
    let method = pick(Self.methods)
    var target = pick(Self.paths)
    if chance(0.7) { target += "?" + pairs(Int.random(in: 0...5, using: &random)) }
    var headers = ["Host: 127.0.0.1:\(port)", "Connection: close"]
    if chance(0.5) {
      let cookie =
        chance(0.7)
        ? "safemap_session=\(session)"
        : "safemap_session=\(pick(Self.values)); safemap_login=\(pick(Self.values))"
      headers.append("Cookie: \(cookie)")
    }
    if chance(0.3) { headers.append("X-CSRF-Token: \(chance(0.5) ? csrf : pick(Self.values))") }
    if chance(0.3) { headers.append("X-Forwarded-For: \(pick(Self.values)), 10.0.0.1") }
    if chance(0.3) { headers.append("Accept-Encoding: gzip") }
    var body: [UInt8] = []
    if method == "POST" || chance(0.1) {
      headers.append("Content-Type: \(pick(Self.contentTypes))")
      if chance(0.1) {
        body = Array(String(repeating: "a=b&", count: 20_000).utf8)
      } else if chance(0.2) {
        body = (0..<Int.random(in: 0..<512, using: &random)).map { _ in
          UInt8.random(in: 0...255, using: &random)
        }
      } else {
        body = Array(pairs(Int.random(in: 0...8, using: &random)).utf8)
      }
      headers.append("Content-Length: \(chance(0.05) ? body.count + 7 : body.count)")
    }
    var request = Array(
      "\(method) \(target) HTTP/1.1\r\n\(headers.joined(separator: "\r\n"))\r\n\r\n".utf8
    )
    request += body
    if chance(0.2) {
      for _ in 0..<Int.random(in: 1...4, using: &random) where !request.isEmpty {
        let index = Int.random(in: 0..<request.count, using: &random)
        switch Int.random(in: 0..<3, using: &random) {
        case 0: request[index] = UInt8.random(in: 0...255, using: &random)
        case 1: request.insert(UInt8.random(in: 0...255, using: &random), at: index)
        default: request.remove(at: index)
        }
      }
    }
    return request
  }

  /// The request line and size, escaped, for the log and for failure messages.
  static func describe(_ request: [UInt8]) -> String {
    let line = request.prefix { $0 != 0x0D && $0 != 0x0A }.prefix(300)
    return String(decoding: line, as: UTF8.self).debugDescription + " (\(request.count) bytes)"
  }
}

/// Percent-encoding for building requests (the server's own code is what is under test).
enum FormEncodingForTests {
  static func encode(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
  }
}
