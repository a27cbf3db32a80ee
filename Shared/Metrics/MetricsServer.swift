public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
public import Prometheus
public import ServiceLifecycle

/// Serves `GET /metrics` in the Prometheus text format on its own port, away from the gRPC
/// port, so scraping needs no HTTP/2 or token.
public struct MetricsServer: Service {
  public let host: String
  public let port: Int
  public let registry: PrometheusCollectorRegistry
  /// Brought up to date at each scrape.
  public let process: ProcessMetrics
  public let logger: Logger

  public init(
    host: String,
    port: Int,
    registry: PrometheusCollectorRegistry,
    process: ProcessMetrics,
    logger: Logger
  ) {
    self.host = host
    self.port = port
    self.registry = registry
    self.process = process
    self.logger = logger
  }

  public func run() async throws {
    let (registry, process) = (self.registry, self.process)
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.backlog, value: 64)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline().flatMap {
          channel.pipeline.addHandler(MetricsHandler(registry: registry, process: process))
        }
      }
      .bind(host: host, port: port).get()
    logger.info("metrics listening", metadata: ["port": "\(port)"])
    await withGracefulShutdownHandler {
      try? await channel.closeFuture.get()
    } onGracefulShutdown: {
      channel.close(promise: nil)
    }
  }
}

private final class MetricsHandler: ChannelInboundHandler, Sendable {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  let registry: PrometheusCollectorRegistry
  let process: ProcessMetrics

  init(registry: PrometheusCollectorRegistry, process: ProcessMetrics) {
    self.registry = registry
    self.process = process
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard case .head(let request) = unwrapInboundIn(data) else { return }
    let found = request.method == .GET && request.uri.split(separator: "?").first == "/metrics"
    if found { process.update() }
    let body = found ? registry.emitToBuffer() : Array("not found\n".utf8)
    var headers = HTTPHeaders()
    headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4" : "text/plain")
    headers.add(name: "Content-Length", value: String(body.count))
    headers.add(name: "Connection", value: "close")
    let head = HTTPResponseHead(
      version: request.version,
      status: found ? .ok : .notFound,
      headers: headers
    )
    context.write(wrapOutboundOut(.head(head)), promise: nil)
    context.write(
      wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))),
      promise: nil
    )
    context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [context] _ in
      context.close(promise: nil)
    }
  }
}
