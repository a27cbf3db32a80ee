import GRPCCore
import HTTPTypes
import Hummingbird

/// A page that cannot be shown, with the Vietnamese sentence the error page says.
struct WebError: Error {
  var status: HTTPResponse.Status
  var message: String
  /// Seconds the browser should wait before trying again (`Retry-After`), for 429 and 503.
  var retryAfter: Int?

  static func notFound(_ message: String = "Không tìm thấy trang này.") -> WebError {
    WebError(status: .notFound, message: message)
  }

  static func badRequest(_ message: String) -> WebError {
    WebError(status: .badRequest, message: message)
  }

  static let forbidden = WebError(
    status: .forbidden,
    message: "Tài khoản của bạn không có quyền xem trang này."
  )

  static let csrf = WebError(
    status: .forbidden,
    message: "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang và gửi lại."
  )

  /// What a user should read for a service's refusal. INVALID_ARGUMENT and
  /// FAILED_PRECONDITION carry the service's own message (it names the field); anything
  /// unexpected is a generic sentence, never a stack trace.
  init(_ error: RPCError) {
    switch error.code {
    case .permissionDenied:
      self = .forbidden
    case .notFound:
      self.init(status: .notFound, message: "Không tìm thấy: \(error.message)")
    case .invalidArgument, .failedPrecondition, .alreadyExists, .outOfRange:
      self.init(status: .badRequest, message: "Yêu cầu không hợp lệ: \(error.message)")
    case .resourceExhausted:
      self.init(
        status: .tooManyRequests,
        message: "Quá nhiều yêu cầu. Hãy thử lại sau ít phút.",
        retryAfter: error.metadata[stringValues: "retry-after"].first(where: { _ in true })
          .flatMap { Int($0) } ?? 5
      )
    case .unavailable, .deadlineExceeded:
      self.init(
        status: .serviceUnavailable,
        message: "Hệ thống tạm thời không phản hồi. Hãy thử lại sau ít phút."
      )
    default:
      self.init(status: .internalServerError, message: "Đã có lỗi. Hãy thử lại sau.")
    }
  }

  init(status: HTTPResponse.Status, message: String, retryAfter: Int? = nil) {
    self.status = status
    self.message = message
    self.retryAfter = retryAfter
  }
}
