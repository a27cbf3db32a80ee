public import GRPCCore
public import SafeMapAPI
import SwiftProtobuf
import Synchronization

/// `grpc.health.v1.Health` (grpc-swift-extras is not available at our versions).
///
/// Knows `""` (the whole server) and each served service name. `Check` answers NOT_FOUND for
/// other names; `Watch` sends the current status, then every change, and SERVICE_UNKNOWN for
/// unknown names. Once ``markShuttingDown()`` has run, nothing flips a status back to SERVING.
public final class HealthService: Grpc_Health_V1_Health.ServiceProtocol, Sendable {
  public typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

  private struct State {
    var statuses: [String: Status] = [:]
    var watchers: [String: [Int: AsyncStream<Status>.Continuation]] = [:]
    var nextWatcherID = 0
    var shuttingDown = false
  }
  private let state = Mutex(State())

  /// `names` are registered as NOT_SERVING until the server says otherwise.
  public init(names: [String]) {
    state.withLock { state in
      for name in [""] + names { state.statuses[name] = .notServing }
    }
  }

  /// Sets every known name to `status` (the server is one unit: one process, one database).
  public func setAll(_ status: Status) {
    let notify = state.withLock { state -> [(AsyncStream<Status>.Continuation, Status)] in
      if state.shuttingDown && status == .serving { return [] }
      var notify: [(AsyncStream<Status>.Continuation, Status)] = []
      for name in state.statuses.keys where state.statuses[name] != status {
        state.statuses[name] = status
        for continuation in state.watchers[name, default: [:]].values {
          notify.append((continuation, status))
        }
      }
      return notify
    }
    for (continuation, status) in notify { continuation.yield(status) }
  }

  /// NOT_SERVING for good: the process is draining.
  public func markShuttingDown() {
    state.withLock { $0.shuttingDown = true }
    setAll(.notServing)
  }

  public func status(of name: String) -> Status? {
    state.withLock { $0.statuses[name] }
  }

  public func check(
    request: ServerRequest<Grpc_Health_V1_HealthCheckRequest>,
    context: ServerContext
  ) async throws -> ServerResponse<Grpc_Health_V1_HealthCheckResponse> {
    guard let status = status(of: request.message.service) else {
      throw RPCError(code: .notFound, message: "unknown service \(request.message.service)")
    }
    return ServerResponse(message: .with { $0.status = status })
  }

  public func watch(
    request: ServerRequest<Grpc_Health_V1_HealthCheckRequest>,
    context: ServerContext
  ) async throws -> StreamingServerResponse<Grpc_Health_V1_HealthCheckResponse> {
    let name = request.message.service
    let (stream, continuation) = AsyncStream.makeStream(of: Status.self)
    let id = state.withLock { state -> Int in
      let id = state.nextWatcherID
      state.nextWatcherID += 1
      state.watchers[name, default: [:]][id] = continuation
      continuation.yield(state.statuses[name] ?? .serviceUnknown)
      return id
    }
    continuation.onTermination = { [weak self] _ in
      self?.state.withLock { _ = $0.watchers[name]?.removeValue(forKey: id) }
    }
    return StreamingServerResponse { writer in
      try await withRPCCancellationHandler {
        for await status in stream {
          try await writer.write(.with { $0.status = status })
        }
      } onCancelRPC: {
        // Client gone, deadline, or server shutdown: end the stream.
        continuation.finish()
      }
      return [:]
    }
  }
}
