import Foundation
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// A browser-like HTTP client over real TCP: keeps the cookies it is given (by name, as a
/// browser would for one site), does not follow redirects (tests look at them), and reads the
/// CSRF token out of the page it got last.
final class WebClient: @unchecked Sendable {
  let base: URL
  private(set) var cookies: [String: String] = [:]
  private let session: URLSession
  private let delegate = NoRedirects()

  struct Page {
    var status: Int
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
      headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    /// The value of `<input … name="csrf" value="…">` in the page.
    var csrf: String? {
      guard let range = text.range(of: "name=\"csrf\" value=\"") else { return nil }
      let rest = text[range.upperBound...]
      return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
  }

  init(port: Int) {
    base = URL(string: "http://127.0.0.1:\(port)")!
    let configuration = URLSessionConfiguration.ephemeral
    configuration.httpShouldSetCookies = false
    configuration.httpCookieAcceptPolicy = .never
    session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
  }

  func setCookie(_ name: String, _ value: String) { cookies[name] = value }

  func get(_ path: String, headers: [String: String] = [:]) async throws -> Page {
    try await send("GET", path, body: nil, headers: headers)
  }

  /// A form POST, `application/x-www-form-urlencoded`.
  func post(_ path: String, form: [(String, String)], headers: [String: String] = [:])
    async throws -> Page
  {
    var components = URLComponents()
    components.queryItems = form.map { URLQueryItem(name: $0.0, value: $0.1) }
    let encoded = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    var all = headers
    all["Content-Type"] = "application/x-www-form-urlencoded"
    return try await send("POST", path, body: Data(encoded.utf8), headers: all)
  }

  func send(_ method: String, _ path: String, body: Data?, headers: [String: String])
    async throws -> Page
  {
    var request = URLRequest(url: URL(string: path, relativeTo: base)!)
    request.httpMethod = method
    request.httpBody = body
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    if !cookies.isEmpty {
      request.setValue(
        cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "),
        forHTTPHeaderField: "Cookie"
      )
    }
    let (data, response) = try await session.data(for: request)
    let http = try #require(response as? HTTPURLResponse)
    var fields: [String: String] = [:]
    for (key, value) in http.allHeaderFields {
      fields["\(key)"] = "\(value)"
    }
    for cookie in Self.setCookies(http) {
      if cookie.maxAgeZero {
        cookies[cookie.name] = nil
      } else {
        cookies[cookie.name] = cookie.value
      }
    }
    return Page(status: http.statusCode, headers: fields, body: data)
  }

  /// Every `Set-Cookie` of the response (Foundation joins repeated headers with ", ").
  static func setCookies(_ response: HTTPURLResponse) -> [(
    name: String, value: String, maxAgeZero: Bool, attributes: String
  )] {
    guard let header = response.value(forHTTPHeaderField: "Set-Cookie") else { return [] }
    var result: [(String, String, Bool, String)] = []
    for part in header.components(separatedBy: ", safemap_") {
      let text = part.hasPrefix("safemap_") ? part : "safemap_" + part
      let pair = text.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
      guard let equals = pair.firstIndex(of: "=") else { continue }
      let name = String(pair[..<equals])
      let value = String(pair[pair.index(after: equals)...])
      result.append((name, value, text.contains("Max-Age=0"), text))
    }
    return result
  }

  /// The raw `Set-Cookie` header of the last response that had one, for attribute checks.
  func rawSetCookie(_ page: Page) -> String { page.header("Set-Cookie") ?? "" }
}

private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
  func urlSession(
    _ session: URLSession,
    task: URLSessionTask,
    willPerformHTTPRedirection response: HTTPURLResponse,
    newRequest request: URLRequest,
    completionHandler: @escaping (URLRequest?) -> Void
  ) {
    completionHandler(nil)
  }
}
