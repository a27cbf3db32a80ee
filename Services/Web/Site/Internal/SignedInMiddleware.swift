import GRPCCore
import Hummingbird

/// Opens the routes of a group only to a session of the kind they serve: any signed-in user
/// (the password page), officials (dashboard, lists, campaigns, issuance, trends), or a
/// facility (its own forms). Without a session the error page sends the browser to sign in;
/// with the wrong kind it shows the forbidden page. Handlers read the session with
/// ``WebContext/signedIn``.
struct SignedInMiddleware: RouterMiddleware {
  enum Who: Sendable {
    case anyone
    case official
    case facility
  }

  let who: Who

  init(_ who: Who) {
    self.who = who
  }

  func handle(
    _ request: Request,
    context: WebContext,
    next: (Request, WebContext) async throws -> Response
  ) async throws -> Response {
    let session = try context.signedIn
    switch who {
    case .anyone: break
    case .official: guard session.account.isOfficial else { throw WebError.forbidden }
    case .facility: guard session.account.isFacility else { throw WebError.forbidden }
    }
    return try await next(request, context)
  }
}

/// Where pages register their routes: open to anyone, or behind ``SignedInMiddleware``.
struct Routes {
  let open: Router<WebContext>
  let signedIn: RouterGroup<WebContext>
  let officials: RouterGroup<WebContext>
  let facilities: RouterGroup<WebContext>

  init(_ router: Router<WebContext>) {
    open = router
    signedIn = router.group().add(middleware: SignedInMiddleware(.anyone))
    officials = router.group().add(middleware: SignedInMiddleware(.official))
    facilities = router.group().add(middleware: SignedInMiddleware(.facility))
  }
}
