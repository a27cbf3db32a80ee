import Foundation
public import GRPCCore
import SafeMapCore

/// `page_size` / `page_token` handling shared by every list RPC (docs/architecture.md, the API:
/// default 50, at most 1000). Tokens are opaque to clients: the base64url of the last key of the
/// previous page, so pages stay stable while rows are added (keyset paging, no OFFSET scans).
public enum Paging {
  public static let defaultPageSize = 50
  public static let maximumPageSize = 1000

  /// The page size to use; INVALID_ARGUMENT for a negative size.
  public static func pageSize(_ requested: Int32) throws -> Int {
    guard requested >= 0 else {
      throw RPCError(code: .invalidArgument, message: "page_size: must not be negative")
    }
    return requested == 0 ? defaultPageSize : min(Int(requested), maximumPageSize)
  }

  /// The key after which the page starts (`""` for the first page).
  public static func afterKey(_ token: String) throws -> String {
    guard !token.isEmpty else { return "" }
    guard let bytes = Base64URL.decode(token), let key = String(validating: bytes, as: UTF8.self),
      key.hasPrefix("k:")
    else {
      throw RPCError(code: .invalidArgument, message: "page_token: not a token from this list")
    }
    return String(key.dropFirst(2))
  }

  /// The token that continues after `lastKey`, or `""` when the page was not full.
  public static func nextToken(lastKey: String?, pageWasFull: Bool) -> String {
    guard pageWasFull, let lastKey else { return "" }
    return Base64URL.encode(("k:" + lastKey).utf8)
  }
}
