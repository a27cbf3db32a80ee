import Foundation
public import GRPCCore
public import PostgresNIO
import SafeMapCore

/// `page_size` / `page_token` for every list RPC (docs/architecture.md, the API: default 50, at
/// most 1000). Lists page by keyset, never OFFSET: a page token carries the last row's key, so
/// pages stay stable while rows are added and each page is one index range.
///
/// A token is the base64url of `{"l": <RPC name>, "k": <key>}`: one encoding for every list,
/// decoded in one place, and refused with INVALID_ARGUMENT naming `page_token` when it is not
/// one of this list's. Its key is a position, not a permission: a client that edits one only
/// moves where its page starts, and row-level security still decides what it may read.
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

  /// One page of a list: how many rows, and the key of the last row before it.
  public struct Page<Key: Codable & Sendable>: Sendable {
    public let size: Int
    /// The previous page's last key; nil on the first page.
    public let after: Key?
    let list: String

    /// The page a request asks for, its token checked against the RPC being served.
    public init(size: Int32, token: String, context: ServerContext) throws {
      try self.init(size: size, token: token, list: context.descriptor.method)
    }

    public init(size: Int32, token: String, list: String) throws {
      self.size = try Paging.pageSize(size)
      self.list = list
      self.after = token.isEmpty ? nil : try Paging.key(of: token, list: list)
    }

    /// `next_page_token`: continues after `last` when the page came back full, else `""`.
    public func nextToken(after last: Key?, count: Int) -> String {
      guard count >= size, let last else { return "" }
      return Paging.token(last, list: list)
    }
  }

  /// A position in a list ordered newest first: an instant to the microsecond and an id that
  /// breaks ties. The instant is whole microseconds, as PostgreSQL stores it: a `Date` would
  /// lose one now and then on its way back (postgres-nio truncates), and repeat a row.
  public struct TimeKey: Codable, Sendable, Hashable {
    public var micros: Int64
    public var id: String

    public init(micros: Int64, id: String) {
      self.micros = micros
      self.id = id
    }

    /// A select-list item reading the `timestamptz` `column` as a key's `micros`.
    public static func select(_ column: String) -> String {
      "(extract(epoch FROM \(column)) * 1000000)::int8 AS key_micros"
    }

    /// The key of a row selected with ``select(_:)``.
    public init(_ row: PostgresRow, id: String) throws {
      self.micros = try row.makeRandomAccess()["key_micros"].decode(Int64.self)
      self.id = id
    }
  }

  struct Envelope<Key: Codable>: Codable {
    var l: String
    var k: Key
  }

  static func token<Key: Codable>(_ key: Key, list: String) -> String {
    // Keys are strings and integers: encoding them cannot fail.
    guard let data = try? JSONEncoder().encode(Envelope(l: list, k: key)) else { return "" }
    return Base64URL.encode(data)
  }

  static func key<Key: Codable>(of token: String, list: String) throws -> Key {
    guard let bytes = Base64URL.decode(token),
      let envelope = try? JSONDecoder().decode(Envelope<Key>.self, from: Data(bytes)),
      envelope.l == list
    else {
      throw RPCError(code: .invalidArgument, message: "page_token: not a token from this list")
    }
    return envelope.k
  }
}

extension PostgresQuery.StringInterpolation {
  /// The keyset condition of a list ordered newest first, `ORDER BY <time> DESC, <id>::text
  /// DESC`: rows strictly before `key`, or `TRUE` on the first page.
  public mutating func appendInterpolation(
    before key: Paging.TimeKey?,
    time: String,
    id: String
  ) {
    guard let key else {
      appendLiteral("TRUE")
      return
    }
    appendLiteral("(\(time), \(id)::text) < (timestamptz 'epoch' + interval '1 microsecond' * ")
    appendInterpolation(key.micros)
    appendLiteral(", ")
    appendInterpolation(key.id)
    appendLiteral(")")
  }
}
