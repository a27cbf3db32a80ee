import PostgresNIO

/// The SQLSTATE and server message of an error from postgres-nio, unwrapping transactions.
public func serverError(_ error: any Error) -> (state: String, message: String)? {
  if let tx = error as? PostgresTransactionError {
    return tx.closureError.flatMap(serverError) ?? tx.commitError.flatMap(serverError)
  }
  guard let psql = error as? PSQLError, psql.code == .server else { return nil }
  return (psql.serverInfo?[.sqlState] ?? "", psql.serverInfo?[.message] ?? "")
}
