/// Told about each lease of a pooled connection, so a service can export how busy its pool is
/// (SafeMapRuntime's `PoolMetrics`): postgres-nio 1.33.2 keeps its pool's figures to itself.
///
/// Called from any task on every transaction: implementations must be cheap and never block.
public protocol DatabasePoolObserver: Sendable {
  /// A request started waiting for a connection.
  func waitStarted()
  /// The request's wait ended after `wait`: with a connection (`leased`), or without one (the
  /// pool failed or the request was cancelled).
  func waitEnded(after wait: Duration, leased: Bool)
  /// A leased connection went back to the pool.
  func leaseEnded()
}
