/// The cookies web-service sets. Served over HTTPS (`secureCookies`), they carry the `__Host-`
/// prefix: the browser then accepts them only with `Secure`, `Path=/` and no `Domain`, so no
/// other host of the domain, and no plain-HTTP page, can set or overwrite them.
struct CookieNames: Sendable {
  /// The session id (account-service's ``WebSession/id``).
  let session: String
  /// The sign-in form's CSRF token (double submit).
  let login: String
  /// The device token of the last username signed in from this browser (``LoginThrottle``
  /// counts that browser's failures for it alone).
  let device: String

  init(secure: Bool) {
    let prefix = secure ? "__Host-" : ""
    session = prefix + "safemap_session"
    login = prefix + "safemap_login"
    device = prefix + "safemap_device"
  }
}
