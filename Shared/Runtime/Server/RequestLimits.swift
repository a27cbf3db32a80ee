import Foundation
public import GRPCCore
public import SafeMapCore
public import SwiftProtobuf

/// The limits every request of every service is held to before a handler sees it: the size of
/// each message, and the length of every text field at any depth (by its proto name, so the
/// message names the field: `facility.name: at most 1000 characters`).
///
/// The transport's own limit is set well above ``maximumMessageBytes`` (see ``ServiceHost``),
/// because a message over the transport's limit is answered with a stream reset the client
/// sees as CANCELLED; under it, the message is decoded and refused here with
/// RESOURCE_EXHAUSTED naming the limit.
public struct RequestLimits: Sendable {
  /// Largest request message, in bytes.
  public var maximumMessageBytes: Int
  /// Longest text field, in Unicode scalars, unless ``fieldLimits`` names the field.
  public var defaultTextLimit: Int
  /// Limits by proto field name where the default does not fit.
  public var fieldLimits: [String: Int]

  public init(
    maximumMessageBytes: Int = 4 * 1024 * 1024,
    defaultTextLimit: Int = 1_000,
    fieldLimits: [String: Int] = RequestLimits.standardFieldLimits
  ) {
    self.maximumMessageBytes = maximumMessageBytes
    self.defaultTextLimit = defaultTextLimit
    self.fieldLimits = fieldLimits
  }

  /// Prose fields may be longer; identifiers, codes and secrets shorter.
  public static let standardFieldLimits: [String: Int] = [
    "findings": 4_000, "description": 4_000, "source_note": 4_000,
    "password": 1_024, "current_password": 1_024, "new_password": 1_024,
    "refresh_token": 256, "page_token": 256, "request_id": 128, "username": 128,
  ]

  /// The limit of a field named `name`.
  public func limit(of name: String) -> Int {
    fieldLimits[name] ?? defaultTextLimit
  }

  /// Every text field over its limit in `message`, with its path.
  ///
  /// A first pass measures the longest text at any depth; only a message holding text longer
  /// than the shortest limit is walked again by name (through its JSON form, which carries the
  /// proto field names), so ordinary requests pay one cheap traversal.
  public func violations(in message: some SwiftProtobuf.Message) -> FieldViolations {
    var measure = LongestText()
    try? message.traverse(visitor: &measure)
    let shortest = fieldLimits.values.min().map { min($0, defaultTextLimit) } ?? defaultTextLimit
    guard measure.longest > shortest else { return FieldViolations() }
    var violations = FieldViolations()
    var options = JSONEncodingOptions()
    options.preserveProtoFieldNames = true
    guard let json = try? message.jsonUTF8Data(options: options),
      let object = try? JSONSerialization.jsonObject(with: json)
    else { return violations }
    collect(object, name: "", path: "", into: &violations)
    return violations
  }

  private func collect(
    _ value: Any,
    name: String,
    path: String,
    into violations: inout FieldViolations
  ) {
    switch value {
    case let text as String:
      let limit = limit(of: name)
      if text.utf8.count > limit, text.unicodeScalars.count > limit {
        violations.add(path, "at most \(limit) characters")
      }
    case let object as [String: Any]:
      for (key, nested) in object.sorted(by: { $0.key < $1.key }) {
        collect(nested, name: key, path: path.isEmpty ? key : "\(path).\(key)", into: &violations)
      }
    case let array as [Any]:
      for (index, nested) in array.enumerated() {
        collect(nested, name: name, path: "\(path)[\(index)]", into: &violations)
      }
    default:
      break
    }
  }

  /// RESOURCE_EXHAUSTED or INVALID_ARGUMENT for a message over a limit; nil when it is within.
  public func refusal(for message: some SwiftProtobuf.Message) -> RPCError? {
    let size = (try? message.serializedBytes() as [UInt8])?.count ?? 0
    if size > maximumMessageBytes {
      return RPCError(
        code: .resourceExhausted,
        message: "request message is \(size) bytes; the limit is \(maximumMessageBytes) bytes"
      )
    }
    let violations = violations(in: message)
    return violations.isEmpty ? nil : RPCError.invalidArgument(violations)
  }
}

/// The length (in Unicode scalars) of the longest text field of a message, at any depth.
struct LongestText: SwiftProtobuf.Visitor {
  var longest = 0

  mutating func visitSingularStringField(value: String, fieldNumber: Int) throws {
    // Bytes bound scalars from above; count scalars only when the bytes could matter.
    if value.utf8.count > longest { longest = max(longest, value.unicodeScalars.count) }
  }

  mutating func visitSingularMessageField<M: Message>(value: M, fieldNumber: Int) throws {
    try value.traverse(visitor: &self)
  }

  // Fields that hold no text.
  mutating func visitUnknown(bytes: Data) throws {}
  mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws {}
  mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws {}
  mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws {}
  mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws {}
  mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws {}
  mutating func visitSingularEnumField<E: Enum>(value: E, fieldNumber: Int) throws {}
  mutating func visitMapField<KeyType, ValueType: MapValueType>(
    fieldType: _ProtobufMap<KeyType, ValueType>.Type,
    value: _ProtobufMap<KeyType, ValueType>.BaseType,
    fieldNumber: Int
  ) throws {}
  mutating func visitMapField<KeyType, ValueType>(
    fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type,
    value: _ProtobufEnumMap<KeyType, ValueType>.BaseType,
    fieldNumber: Int
  ) throws where ValueType.RawValue == Int {}
  mutating func visitMapField<KeyType, ValueType>(
    fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type,
    value: _ProtobufMessageMap<KeyType, ValueType>.BaseType,
    fieldNumber: Int
  ) throws {}
}

/// Holds every request message to ``RequestLimits`` before the handler reads it. Streaming
/// requests are checked message by message as the handler reads them.
public struct RequestLimitsInterceptor: ServerInterceptor {
  public let limits: RequestLimits

  public init(limits: RequestLimits) {
    self.limits = limits
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next:
      @Sendable (StreamingServerRequest<Input>, ServerContext) async throws ->
      StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    var request = request
    request.messages = RPCAsyncSequence(
      wrapping: CheckedMessages(base: request.messages, limits: limits)
    )
    return try await next(request, context)
  }
}

/// A request stream whose messages are checked as they are read.
struct CheckedMessages<Element: Sendable>: AsyncSequence, Sendable {
  let base: RPCAsyncSequence<Element, any Error>
  let limits: RequestLimits

  struct AsyncIterator: AsyncIteratorProtocol {
    var base: RPCAsyncSequence<Element, any Error>.AsyncIterator
    let limits: RequestLimits

    mutating func next() async throws -> Element? {
      guard let element = try await base.next() else { return nil }
      if let message = element as? any SwiftProtobuf.Message,
        let refusal = limits.refusal(for: message)
      {
        throw refusal
      }
      return element
    }
  }

  func makeAsyncIterator() -> AsyncIterator {
    AsyncIterator(base: base.makeAsyncIterator(), limits: limits)
  }
}
