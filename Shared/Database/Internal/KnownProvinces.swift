import GRPCCore
import Logging
import PostgresNIO
import SafeMapCore
import Synchronization

/// The codes of the `provinces` table, loaded on first use and again (at most every 30 s) when
/// a request names a code not seen yet, so a province added later is found without a restart.
/// Only the ministry can name a province; anyone else's tenant comes from the token.
final class KnownProvinces: Sendable {
  private struct State {
    var codes: Set<String> = []
    var loadedAt: ContinuousClock.Instant?
  }
  private let state = Mutex(State())
  static let reloadGap: Duration = .seconds(30)

  /// INVALID_ARGUMENT naming `province_code` when `tenant` is a province that does not exist.
  func require(_ tenant: Tenant, client: PostgresClient, logger: Logger) async throws {
    guard ProvinceCode.isWellFormed(tenant.code) else { return }
    let (known, fresh) = state.withLock { state in
      (
        state.codes.contains(tenant.code),
        state.loadedAt.map { $0.advanced(by: Self.reloadGap) > .now } ?? false
      )
    }
    if known { return }
    if !fresh {
      let codes = try await client.withConnection { connection in
        var codes: Set<String> = []
        for try await code in try await connection.query(
          "SELECT code FROM provinces",
          logger: logger
        ).decode(String.self) {
          codes.insert(code)
        }
        return codes
      }
      state.withLock {
        $0.codes = codes
        $0.loadedAt = .now
      }
      if codes.contains(tenant.code) { return }
    }
    throw RPCError(
      code: .invalidArgument,
      message: "province_code: no province has the code \(tenant.code)"
    )
  }
}
