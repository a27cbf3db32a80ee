import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import SafeMapCore

/// `http_requests_total{method,route,status}` and `http_request_duration_seconds{route}`.
/// Not hummingbird's `MetricsMiddleware`: it names its figures `hb.requests` and
/// `http.server.request.duration` (labels `http.route`, `http.response.status_code`), which
/// would rename what the deployment's alerts and `MetricsTests` read.
struct RequestMetricsMiddleware: RouterMiddleware {
  typealias Context = WebContext
  let registry: PrometheusCollectorRegistry

  func handle(
    _ request: Request,
    context: WebContext,
    next: (Request, WebContext) async throws -> Response
  ) async throws -> Response {
    let start = ContinuousClock.now
    let response = try await next(request, context)
    let route = context.endpointPath ?? "unmatched"
    registry.makeCounter(
      descriptor: .init(
        metricName: "http_requests",
        unitName: "total",
        helpText: "HTTP requests answered, by method, route pattern and status"
      ),
      labels: [
        ("method", request.method.rawValue), ("route", route),
        ("status", String(response.status.code)),
      ]
    ).increment()
    registry.makeDurationHistogram(
      descriptor: .init(
        metricName: "http_request_duration",
        unitName: "seconds",
        helpText: "Time from a request's head to its response's head, by route pattern"
      ),
      labels: [("route", route)],
      buckets: [
        .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(300),
        .seconds(1), .seconds(3), .seconds(10),
      ]
    ).recordNanoseconds((ContinuousClock.now - start).nanoseconds)
    return response
  }
}

extension Duration {
  var nanoseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
  }
}
