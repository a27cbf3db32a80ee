public import GRPCCore
public import GRPCNIOTransportHTTP2

/// Connections to the SafeMap services, made one way for every client: the services calling
/// account-service, web-service, the command-line tool, the demo loader, tests and benchmarks.
public enum ServiceClient {
  /// A client of the service at `address`. TLS as `tls` says, with the name the service's
  /// certificate must carry when it is not the host dialled; keepalive pings, so a peer that
  /// vanished is noticed within 40 s; and calls spread round-robin over every address the name
  /// resolves to (behind a headless Service, every pod). Run it with `runConnections()` or
  /// ``GRPCClientService``.
  public static func make(
    _ address: ServiceAddress,
    tls: TLSSettings,
    methodConfig: [MethodConfig] = [],
    backoff: HTTP2ClientTransport.Config.Backoff? = nil
  ) throws -> GRPCClient<HTTP2ClientTransport.Posix> {
    GRPCClient(
      transport: try transport(address, tls: tls, methodConfig: methodConfig, backoff: backoff)
    )
  }

  /// The transport of ``make(_:tls:methodConfig:backoff:)``, for `withGRPCClient(transport:)`.
  public static func transport(
    _ address: ServiceAddress,
    tls: TLSSettings,
    methodConfig: [MethodConfig] = [],
    backoff: HTTP2ClientTransport.Config.Backoff? = nil
  ) throws -> HTTP2ClientTransport.Posix {
    try HTTP2ClientTransport.Posix(
      target: .dns(host: address.host, port: address.port),
      transportSecurity: tls.clientSecurity,
      config: .defaults { config in
        if let name = tls.serverName { config.http2.authority = name }
        config.connection.keepalive = .init(
          time: .seconds(30),
          timeout: .seconds(10),
          allowWithoutCalls: true
        )
        if let backoff { config.backoff = backoff }
      },
      serviceConfig: ServiceConfig(methodConfig: methodConfig, loadBalancingConfig: [.roundRobin])
    )
  }
}
