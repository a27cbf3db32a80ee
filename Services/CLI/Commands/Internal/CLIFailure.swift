import GRPCCore

/// What went wrong, in one line that says what to fix: printed on stderr as `Error: …` with a
/// non-zero exit status, never a stack trace or a gRPC status name.
struct CLIFailure: Error, CustomStringConvertible {
  var description: String

  init(_ description: String) {
    self.description = description
  }

  /// The line for `error`, raised by a call to `endpoint` (`login` reads a refused call as a
  /// wrong password rather than as an expired session).
  init(_ error: RPCError, calling endpoint: Endpoint, login: Bool = false) {
    let message = error.message
    switch error.code {
    case .unavailable where Self.isUnreachable(message):
      description =
        "cannot reach \(endpoint.service) at \(endpoint.address): is it running? "
        + "(set --\(endpoint.option) or \(endpoint.variable))"
    case .unavailable:
      description = "\(endpoint.service) is unavailable (\(message)); try again"
    case .unauthenticated where login:
      description = "wrong username or password"
    case .unauthenticated:
      description = "not signed in, or the session has ended: run `safemap login`"
    case .permissionDenied:
      description = "not allowed: \(message)"
    case .deadlineExceeded:
      description = "\(endpoint.service) did not answer in time; try again"
    case .failedPrecondition where message.hasPrefix("password change required"):
      description = "this account still has its one-time password: run `safemap passwd` first"
    case .invalidArgument, .notFound, .alreadyExists, .failedPrecondition, .resourceExhausted,
      .outOfRange, .aborted:
      description = message
    default:
      description = "\(endpoint.service) failed: \(message)"
    }
  }

  /// The transport's words for a connection that could not be made.
  static func isUnreachable(_ message: String) -> Bool {
    let lowered = message.lowercased()
    return lowered.contains("connect") || lowered.contains("refused")
      || lowered.contains("resolve") || lowered.contains("no route")
  }
}
