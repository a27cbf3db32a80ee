import Foundation
public import GRPCCore

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
    var base64 = token.replacing("-", with: "+").replacing("_", with: "/")
    while base64.utf8.count % 4 != 0 { base64 += "=" }
    guard let data = Data(base64Encoded: base64), let key = String(data: data, encoding: .utf8),
      key.hasPrefix("k:")
    else {
      throw RPCError(code: .invalidArgument, message: "page_token: not a token from this list")
    }
    return String(key.dropFirst(2))
  }

  /// The token that continues after `lastKey`, or `""` when the page was not full.
  public static func nextToken(lastKey: String?, pageWasFull: Bool) -> String {
    guard pageWasFull, let lastKey else { return "" }
    return Data(("k:" + lastKey).utf8).base64EncodedString()
      .replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
  }
}
