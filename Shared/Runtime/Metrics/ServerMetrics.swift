public import GRPCCore
public import Prometheus
public import SafeMapMetrics

/// The Prometheus figures every service exports (docs/architecture.md): calls started and
/// handled by method and status code and their latency (the names of go-grpc-prometheus), the
/// database pool, and the process.
public struct ServerMetrics: Sendable {
  public let registry: PrometheusCollectorRegistry
  public let pool: PoolMetrics
  public let process: ProcessMetrics

  static let latencyBuckets: [Duration] = [
    .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
    .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
    .seconds(2), .seconds(5), .seconds(10),
  ]

  public init(registry: PrometheusCollectorRegistry) {
    self.registry = registry
    self.pool = PoolMetrics(registry: registry)
    self.process = ProcessMetrics(registry: registry)
  }

  func started(_ descriptor: MethodDescriptor) -> Counter {
    registry.makeCounter(
      descriptor: .init(
        metricName: "grpc_server_started",
        unitName: "total",
        helpText: "RPCs started on the server, by method"
      ),
      labels: [
        ("grpc_service", descriptor.service.fullyQualifiedService),
        ("grpc_method", descriptor.method),
      ]
    )
  }

  func handled(_ descriptor: MethodDescriptor, code: String) -> Counter {
    registry.makeCounter(
      descriptor: .init(
        metricName: "grpc_server_handled",
        unitName: "total",
        helpText: "RPCs completed on the server, by method and status code"
      ),
      labels: [
        ("grpc_service", descriptor.service.fullyQualifiedService),
        ("grpc_method", descriptor.method), ("grpc_code", code),
      ]
    )
  }

  func handlingSeconds(_ descriptor: MethodDescriptor) -> DurationHistogram {
    registry.makeDurationHistogram(
      descriptor: .init(
        metricName: "grpc_server_handling",
        unitName: "seconds",
        helpText: "Time from receiving an RPC to sending its status"
      ),
      labels: [
        ("grpc_service", descriptor.service.fullyQualifiedService),
        ("grpc_method", descriptor.method),
      ],
      buckets: Self.latencyBuckets
    )
  }

  /// Database pool size limit, exported as a gauge for dashboards.
  public func recordPool(maximumConnections: Int) {
    registry.makeGauge(
      descriptor: .init(
        metricName: "db_pool_max_connections",
        unitName: "",
        helpText: "Largest number of pooled database connections"
      ),
      labels: []
    ).set(Double(maximumConnections))
  }
}

/// Counts and times every RPC, unary and streaming, under its final status code.
public struct MetricsInterceptor: ServerInterceptor {
  public let metrics: ServerMetrics

  public init(metrics: ServerMetrics) {
    self.metrics = metrics
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next:
      @Sendable (StreamingServerRequest<Input>, ServerContext) async throws
      -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    let start = ContinuousClock.now
    let metrics = self.metrics
    let descriptor = context.descriptor
    metrics.started(descriptor).increment()
    @Sendable func finish(_ code: String) {
      metrics.handled(descriptor, code: code).increment()
      metrics.handlingSeconds(descriptor).record(ContinuousClock.now - start)
    }
    var response: StreamingServerResponse<Output>
    do {
      response = try await next(request, context)
    } catch {
      finish(Self.codeName(of: error))
      throw error
    }
    switch response.accepted {
    case .failure(let error):
      finish(Self.codeName(of: error))
    case .success(var contents):
      let producer = contents.producer
      contents.producer = { writer in
        do {
          let trailers = try await producer(writer)
          finish("OK")
          return trailers
        } catch {
          finish(Self.codeName(of: error))
          throw error
        }
      }
      response.accepted = .success(contents)
    }
    return response
  }

  /// The canonical name (`OK`, `INVALID_ARGUMENT`, …) of what a handler threw.
  static func codeName(of error: any Error) -> String {
    let code: RPCError.Code
    if let rpc = error as? RPCError {
      code = rpc.code
    } else if let convertible = error as? any RPCErrorConvertible {
      code = convertible.rpcErrorCode
    } else {
      code = .unknown
    }
    switch code {
    case .cancelled: return "CANCELLED"
    case .invalidArgument: return "INVALID_ARGUMENT"
    case .deadlineExceeded: return "DEADLINE_EXCEEDED"
    case .notFound: return "NOT_FOUND"
    case .alreadyExists: return "ALREADY_EXISTS"
    case .permissionDenied: return "PERMISSION_DENIED"
    case .resourceExhausted: return "RESOURCE_EXHAUSTED"
    case .failedPrecondition: return "FAILED_PRECONDITION"
    case .aborted: return "ABORTED"
    case .outOfRange: return "OUT_OF_RANGE"
    case .unimplemented: return "UNIMPLEMENTED"
    case .internalError: return "INTERNAL"
    case .unavailable: return "UNAVAILABLE"
    case .dataLoss: return "DATA_LOSS"
    case .unauthenticated: return "UNAUTHENTICATED"
    default: return "UNKNOWN"
    }
  }
}
