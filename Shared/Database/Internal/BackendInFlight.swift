import GRPCCore
import Logging
import PostgresNIO
import SafeMapCore
import Synchronization

/// A server process and the start of the transaction it runs (microseconds since 1970): what a
/// cancel must match so it can never reach a later transaction on the same connection.
package struct BackendKey: Sendable, Hashable {
  package var pid: Int32
  package var transactionStart: Int64

  package init(pid: Int32, transactionStart: Int64) {
    self.pid = pid
    self.transactionStart = transactionStart
  }
}

/// The server process running a transaction's statements, so a cancelled RPC can stop them:
/// postgres-nio does not cancel a running query when its task is cancelled.
final class BackendInFlight: Sendable {
  private enum State {
    case idle
    case running(BackendKey)
    /// Cancelled before the first statement reported its backend: do not start.
    case cancelledEarly
    case finished
  }
  private let state = Mutex(State.idle)
  /// The leased connection, once there is one: closed if the work is abandoned.
  private let connection = Mutex<PostgresConnection?>(nil)

  func attach(_ leased: PostgresConnection) {
    connection.withLock { $0 = leased }
  }

  /// The caller stopped waiting: cancel the statement if it runs, and with `closing`, close
  /// the connection, which the pool then replaces (a connection in an unknown state must not
  /// serve another request).
  func abandon(using database: Database, closing: Bool) async {
    await cancel(using: database)
    guard closing else { return }
    let leased: PostgresConnection? = state.withLock {
      if case .finished = $0 { return nil }
      $0 = .finished
      return connection.withLock { $0 }
    }
    try? await leased?.close()
  }

  /// Records the backend; `false` when the RPC was already cancelled.
  func start(_ key: BackendKey) -> Bool {
    state.withLock {
      switch $0 {
      case .idle:
        $0 = .running(key)
        return true
      case .cancelledEarly, .running, .finished:
        return false
      }
    }
  }

  func finish() {
    state.withLock { $0 = .finished }
  }

  /// Asks PostgreSQL to cancel the running statement (from another pooled connection; a role
  /// may cancel its own backends). A no-op once the transaction has ended, and harmless if the
  /// request is still on its way when it ends (``Database/cancel(_:)``).
  func cancel(using database: Database) async {
    let key: BackendKey? = state.withLock {
      switch $0 {
      case .running(let key): return key
      case .idle:
        $0 = .cancelledEarly
        return nil
      case .cancelledEarly, .finished: return nil
      }
    }
    guard let key else { return }
    await database.cancel(key)
  }
}
