import Foundation

/// Where a service listens: a name (a headless Service's name resolves to every pod) or an
/// address, and a port.
public struct ServiceAddress: Sendable, Hashable, CustomStringConvertible {
  public var host: String
  public var port: Int

  public init(host: String, port: Int) {
    self.host = host
    self.port = port
  }

  /// `host:port`, an IPv6 host in brackets; nil for anything else.
  public init?(parsing text: String) {
    guard let colon = text.lastIndex(of: ":"), colon != text.startIndex,
      let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
    else { return nil }
    self.init(host: String(text[..<colon]).trimmingCharacters(in: ["[", "]"]), port: port)
  }

  public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The metadata a trusted proxy (web-service) sets to the browser's address; the services
/// believe it only from a peer they trust (`TrustedProxyPolicy`).
public enum ForwardedClient {
  public static let metadataKey = "x-forwarded-for"
}
