import Foundation
public import Logging
public import NIOPosix
public import SafeMapAuth
public import SafeMapDatabase
public import SafeMapRuntime

/// What the handlers of account-service share: the database, the token signer, the password
/// hasher and its thread pool, and the rules' figures.
public struct AccountContext: Sendable {
  public let database: Database
  public let signer: TokenSigner
  public let hasher: PasswordHasher
  public let logger: Logger
  /// Lifetime of one refresh token; each rotation issues a new one.
  public var refreshTokenLifetime: TimeInterval = 14 * 24 * 3600
  /// Absolute lifetime of a session, from its login: rotation never extends it.
  public var sessionLifetime: TimeInterval = 30 * 24 * 3600
  /// Most rows one issuance batch may carry.
  public var issuanceMaximumRows = 50_000
  /// Lifetime of a one-time password (docs/architecture.md: tokens and passwords: 30 days).
  public var oneTimePasswordLifetime: TimeInterval = 30 * 24 * 3600
  /// Who may call the browser-session RPCs: web-service alone.
  public var webService: TrustedProxyPolicy = .none
  /// A browser session ends after this long without a request, and after
  /// `webSessionLifetime` in any case.
  public var webSessionIdle: TimeInterval = 30 * 60
  public var webSessionLifetime: TimeInterval = 12 * 3600
  /// Browser sessions one account holds at once; opening one more ends the oldest.
  public var webSessionsPerAccount = 10

  public init(database: Database, signer: TokenSigner, hasher: PasswordHasher, logger: Logger) {
    self.database = database
    self.signer = signer
    self.hasher = hasher
    self.logger = logger
  }

  /// The common-password list shipped with the service (Django's list, 8+ characters).
  static let commonPasswords: Set<String> = {
    guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt"),
      let text = try? String(contentsOf: url, encoding: .utf8)
    else { return [] }
    return Set(text.split(whereSeparator: \.isNewline).map { $0.lowercased() })
  }()
}
