import GRPCCore
import Logging
import PostgresNIO
import SafeMapCore
import Synchronization

/// The first statement of every tenant transaction: the tenant for row-level security, the
/// statement timeout, and the backend and transaction to cancel if the RPC goes away. Prepared
/// once per connection, as it runs before every request's work.
package struct TenantSetting: PostgresPreparedStatement {
  /// Short and explicit: PostgreSQL cuts statement names at 63 bytes.
  package static let name = "safemap_tenant_setting"
  package static let sql = """
    SELECT pg_backend_pid(), (extract(epoch FROM now()) * 1000000)::int8,
      set_config('app.province', $1, true), set_config('statement_timeout', $2, true)
    """
  package static let parameters = ["province_code", "statement_timeout"]
  package typealias Row = BackendKey

  package var province: String
  package var statementTimeout: String

  package func makeBindings() throws -> PostgresBindings {
    var bindings = PostgresBindings()
    bindings.append(province)
    bindings.append(statementTimeout)
    return bindings
  }

  package func decodeRow(_ row: PostgresRow) throws -> BackendKey {
    let (pid, start, _, _) = try row.decode((Int32, Int64, String, String).self)
    return BackendKey(pid: pid, transactionStart: start)
  }
}
