import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import SafeMapCore

/// Turns every error into a page in Vietnamese (never a stack trace): ``WebError``s say what
/// they say, a service's refusal becomes its sentence, an expired session goes to sign-in.
struct ErrorPageMiddleware: RouterMiddleware {
  typealias Context = WebContext
  let templates: Templates
  let logger: Logger

  struct ErrorPage {
    var chrome: Chrome
    var status: Int
    var message: String
  }

  func handle(
    _ request: Request,
    context: WebContext,
    next: (Request, WebContext) async throws -> Response
  ) async throws -> Response {
    let shown: WebError
    do {
      return try await next(request, context)
    } catch let failure as WebError {
      shown = failure
    } catch let failure as RPCError where failure.code == .unauthenticated {
      // The tokens ran out or were revoked: sign in again, then come back.
      return Response.redirect(to: SignInPages.loginPath(returningTo: request.uri.path))
    } catch let failure as RPCError {
      if ![.invalidArgument, .failedPrecondition, .permissionDenied, .notFound].contains(
        failure.code
      ) {
        logger.error(
          "call failed",
          metadata: ["path": "\(request.uri.path)", "error": "\(failure)"]
        )
      }
      shown = WebError(failure)
    } catch let failure as HTTPError {
      shown = WebError(
        status: failure.status,
        message: failure.status == .notFound ? "Không tìm thấy trang này." : "Yêu cầu không hợp lệ."
      )
    } catch {
      logger.error("page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
      shown = WebError(status: .internalServerError, message: "Đã có lỗi. Hãy thử lại sau.")
    }
    let page = ErrorPage(
      chrome: Chrome(title: "Lỗi \(shown.status.code)", session: context.session),
      status: shown.status.code,
      message: shown.message
    )
    var response = templates.page("error", page, status: shown.status)
    if let wait = shown.retryAfter { response.headers[.retryAfter] = String(wait) }
    return response
  }
}
