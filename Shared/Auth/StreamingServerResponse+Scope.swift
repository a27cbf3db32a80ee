public import GRPCCore

extension StreamingServerResponse {
  /// Runs the response's body inside `scope`. A streaming body runs after an interceptor's
  /// `next` has returned, outside the task-local values the interceptor set around it: this
  /// puts the body back inside them.
  public mutating func bodyRuns(
    within scope: @escaping @Sendable (_ body: () async throws -> Metadata) async throws -> Metadata
  ) {
    guard case .success(var contents) = accepted else { return }
    let producer = contents.producer
    contents.producer = { writer in try await scope { try await producer(writer) } }
    accepted = .success(contents)
  }
}
