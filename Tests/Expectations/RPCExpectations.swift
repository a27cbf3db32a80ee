public import GRPCCore
public import Testing

/// Records an issue unless `body` fails with `code` (and, if given, a message containing
/// `mentioning`): the one way every suite checks the status a caller gets.
public func expectCode<R: Sendable>(
  _ code: RPCError.Code,
  mentioning: String? = nil,
  sourceLocation: SourceLocation = #_sourceLocation,
  _ body: @escaping @Sendable () async throws -> R
) async {
  do {
    _ = try await body()
    Issue.record("expected \(code), the call succeeded", sourceLocation: sourceLocation)
  } catch let error as RPCError {
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    if let mentioning {
      #expect(
        error.message.contains(mentioning),
        "\(error.message)",
        sourceLocation: sourceLocation
      )
    }
  } catch {
    Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
  }
}
