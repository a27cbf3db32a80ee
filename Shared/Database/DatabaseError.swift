public import GRPCCore
public import Logging
import PostgresNIO

/// Maps what PostgreSQL and the pool throw to the gRPC status a client can act on.
///
/// SQLSTATE classes: integrity violations are the caller's fault (`ALREADY_EXISTS`,
/// `FAILED_PRECONDITION`, `INVALID_ARGUMENT`); RLS and privilege refusals are
/// `PERMISSION_DENIED`; a lost server or connection is `UNAVAILABLE` so idempotent calls can be
/// retried; serialization failures are `ABORTED`. Anything else is `INTERNAL`, logged in full
/// here (PSQLError's description is redacted by design) and never shown to the client.
public enum DatabaseError {
  public static func rpcError(for error: any Error, logger: Logger) -> RPCError {
    if let rpc = error as? RPCError { return rpc }
    if let tx = error as? PostgresTransactionError {
      if let inner = tx.closureError ?? tx.beginError ?? tx.commitError {
        return rpcError(for: inner, logger: logger)
      }
    }
    if let psql = error as? PSQLError { return rpcError(for: psql, logger: logger) }
    if error is CancellationError {
      return RPCError(code: .cancelled, message: "the call was cancelled")
    }
    let text = String(reflecting: error)
    if text.contains("requestCancelled") {
      return RPCError(
        code: .deadlineExceeded,
        message: "the call was cancelled or ran past its deadline"
      )
    }
    if text.contains("CircuitBreaker") || text.contains("poolShutdown") {
      return RPCError(code: .unavailable, message: "database unavailable")
    }
    logger.error("database error", metadata: ["error": "\(text)"])
    return RPCError(code: .internalError, message: "internal database error")
  }

  static func rpcError(for error: PSQLError, logger: Logger) -> RPCError {
    switch error.code {
    case .server:
      let state = error.serverInfo?[.sqlState] ?? ""
      let constraint = error.serverInfo?[.constraintName] ?? ""
      let detail = constraint.isEmpty ? "" : " (\(constraint))"
      if let code = code(forSQLState: state) {
        if code == .internalError || code == .unavailable {
          logger.error("database error", metadata: ["error": "\(String(reflecting: error))"])
        }
        return RPCError(code: code, message: message(forSQLState: state) + detail)
      }
      logger.error("database error", metadata: ["error": "\(String(reflecting: error))"])
      return RPCError(code: .internalError, message: "internal database error")
    case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed,
      .uncleanShutdown:
      return RPCError(code: .unavailable, message: "database unavailable")
    case .queryCancelled:
      return RPCError(code: .deadlineExceeded, message: "the query was cancelled")
    default:
      logger.error("database error", metadata: ["error": "\(String(reflecting: error))"])
      return RPCError(code: .internalError, message: "internal database error")
    }
  }

  /// The gRPC code for a SQLSTATE, or `nil` for states that are our own bugs.
  public static func code(forSQLState state: String) -> RPCError.Code? {
    switch state {
    case "23505": return .alreadyExists
    case "23503": return .failedPrecondition
    case "23502", "23514", "22001", "22003", "22007", "22008", "22P02": return .invalidArgument
    case "42501": return .permissionDenied
    case "40001", "40P01": return .aborted
    case "57014": return .deadlineExceeded
    case "55P03": return .unavailable
    default:
      if state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53") {
        return .unavailable
      }
      return nil
    }
  }

  static func message(forSQLState state: String) -> String {
    switch state {
    case "23505": return "already exists"
    case "23503": return "refers to something that does not exist or is still referenced"
    case "23502": return "a required value is missing"
    case "23514": return "a value is out of the allowed range or outside the tenant"
    case "22001", "22003", "22007", "22008", "22P02": return "a value has the wrong form"
    case "42501": return "not allowed in this province"
    case "40001", "40P01": return "conflicting concurrent change, retry"
    case "57014": return "the database took too long"
    default: return "database unavailable"
    }
  }
}
