import Foundation
public import Logging
public import SafeMapCore

/// Reads `SAFEMAP_*` variables for the services' and web-service's configurations: an unset or
/// empty variable is nil (the default stays), a malformed one is an error naming the variable
/// and what it must be.
public struct EnvironmentReader: Sendable {
  public let environment: [String: String]

  public init(_ environment: [String: String]) {
    self.environment = environment
  }

  public struct Invalid: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
      self.description = description
    }
  }

  public func value(_ name: String) -> String? {
    guard let v = environment[name], !v.isEmpty else { return nil }
    return v
  }

  public func integer(_ name: String, _ range: ClosedRange<Int>) throws(Invalid) -> Int? {
    guard let text = value(name) else { return nil }
    guard let v = Int(text), range.contains(v) else {
      throw Invalid(description: "\(name) must be an integer in \(range), got \(text)")
    }
    return v
  }

  public func seconds(_ name: String) throws(Invalid) -> Double? {
    guard let text = value(name) else { return nil }
    guard let v = Double(text), v >= 0 else {
      throw Invalid(description: "\(name) must be a number of seconds, got \(text)")
    }
    return v
  }

  /// A number that is not negative.
  public func number(_ name: String) throws(Invalid) -> Double? {
    guard let text = value(name) else { return nil }
    guard let v = Double(text), v >= 0, v.isFinite else {
      throw Invalid(description: "\(name) must be a number, at least 0, got \(text)")
    }
    return v
  }

  public func flag(_ name: String) throws(Invalid) -> Bool? {
    guard let text = value(name) else { return nil }
    guard let on = ["true": true, "false": false][text.lowercased()] else {
      throw Invalid(description: "\(name) must be true or false, got \(text)")
    }
    return on
  }

  /// `host:port` (an IPv6 host in brackets).
  public func target(_ name: String) throws(Invalid) -> ServiceAddress? {
    guard let text = value(name) else { return nil }
    guard let address = ServiceAddress(parsing: text) else {
      throw Invalid(description: "\(name) must be host:port, got \(text)")
    }
    return address
  }

  /// A per-client rate from `<prefix>_RATE` (calls a second; `0` turns the limit off) and
  /// `<prefix>_BURST` (calls at once; twelve seconds' worth when only the rate is given).
  public func rateLimit(
    _ prefix: String,
    current: ClientRateLimiter.Rule?
  ) throws(Invalid) -> ClientRateLimiter.Rule? {
    let burst = try number(prefix + "_BURST")
    guard let rate = try number(prefix + "_RATE") else {
      guard let burst, var rule = current else { return current }
      rule.burst = max(1, burst)
      return rule
    }
    guard rate > 0 else { return nil }
    return ClientRateLimiter.Rule(burst: burst ?? max(1, rate * 12), perSecond: rate)
  }

  public func logLevel(_ name: String) throws(Invalid) -> Logger.Level? {
    guard let text = value(name) else { return nil }
    guard let level = Logger.Level(rawValue: text.lowercased()) else {
      throw Invalid(description: "\(name) must be trace…critical, got \(text)")
    }
    return level
  }

  public func logFormat(_ name: String) throws(Invalid) -> LogFormat? {
    guard let text = value(name) else { return nil }
    guard let format = LogFormat(rawValue: text) else {
      throw Invalid(description: "\(name) must be json or text, got \(text)")
    }
    return format
  }

  public func trustedProxies(_ name: String) throws(Invalid) -> TrustedProxies? {
    guard let text = value(name) else { return nil }
    do {
      return try TrustedProxies(parsing: text)
    } catch {
      throw Invalid(description: "\(name): \(error)")
    }
  }
}
