import GRPCCore
import Hummingbird
import Logging
import NIOCore

/// The request context of every page: the browser's address (for account-service's throttle)
/// and, once ``SessionMiddleware`` ran, the signed-in session.
struct WebContext: RequestContext {
  var coreContext: CoreRequestContextStorage
  /// The TCP peer, before any forwarded address is believed.
  let peerAddress: String
  /// The browser: the peer, or what a trusted proxy says (``WebConfiguration/trustedProxies``).
  var clientAddress: String
  var session: WebSession?
  /// Set by ``SessionMiddleware`` per route: 64 KiB for forms, the configured limit for the
  /// issuance CSV.
  var maximumBodyBytes = 64 * 1024

  init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    peerAddress = source.channel.remoteAddress?.ipAddress ?? ""
    clientAddress = peerAddress
  }

  var maxUploadSize: Int { maximumBodyBytes }

  /// The session of a route behind ``SignedInMiddleware``; UNAUTHENTICATED elsewhere without
  /// one (the error page sends the browser to sign in).
  var signedIn: WebSession {
    get throws {
      guard let session else { throw RPCError(code: .unauthenticated, message: "sign in") }
      return session
    }
  }
}
