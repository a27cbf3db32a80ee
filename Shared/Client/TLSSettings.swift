import Foundation
public import GRPCNIOTransportHTTP2

/// TLS for a service's gRPC listener and for its calls to other services, from PEM files named
/// in configuration (README "TLS").
///
/// - A certificate and key: the listener serves TLS only.
/// - Also a client CA: the listener requires client certificates signed by it (mTLS), and the
///   service presents its own certificate when it calls others.
/// - A CA: calls to other services (account-service) verify the server's certificate against
///   it, with its host name (or `serverName`).
///
/// None set: plaintext, which services, web-service and the CLI accept only on loopback, or
/// with `SAFEMAP_ALLOW_PLAINTEXT=true` (then they warn): ``plaintextProblem(listeningOn:allowPlaintext:)``.
public struct TLSSettings: Sendable, Hashable {
  public var certificateFile: String?
  public var keyFile: String?
  public var clientCAFile: String?
  public var caFile: String?
  /// The name the called service's certificate must carry, when it is not the host dialled.
  public var serverName: String?

  public init(
    certificateFile: String? = nil,
    keyFile: String? = nil,
    clientCAFile: String? = nil,
    caFile: String? = nil,
    serverName: String? = nil
  ) {
    self.certificateFile = certificateFile
    self.keyFile = keyFile
    self.clientCAFile = clientCAFile
    self.caFile = caFile
    self.serverName = serverName
  }

  /// Whether the listener serves TLS.
  public var servesTLS: Bool { certificateFile != nil }

  /// What is inconsistent, or `nil`.
  public var problem: String? {
    if (certificateFile == nil) != (keyFile == nil) {
      return "SAFEMAP_TLS_CERT_FILE and SAFEMAP_TLS_KEY_FILE go together"
    }
    if clientCAFile != nil && certificateFile == nil {
      return "SAFEMAP_TLS_CLIENT_CA_FILE needs SAFEMAP_TLS_CERT_FILE and SAFEMAP_TLS_KEY_FILE"
    }
    return nil
  }

  /// The listener's security.
  public var serverSecurity: HTTP2ServerTransport.Posix.TransportSecurity {
    guard let certificateFile, let keyFile else { return .plaintext }
    let chain: [TLSConfig.CertificateSource] = [.file(path: certificateFile, format: .pem)]
    let key = TLSConfig.PrivateKeySource.file(path: keyFile, format: .pem)
    guard let clientCAFile else { return .tls(certificateChain: chain, privateKey: key) }
    return .mTLS(certificateChain: chain, privateKey: key) { config in
      config.trustRoots = .certificates([.file(path: clientCAFile, format: .pem)])
      config.clientCertificateVerification = .noHostnameVerification
    }
  }

  /// The security of calls to other services: verified TLS when a CA is configured, with this
  /// service's own certificate as client certificate when it has one.
  public var clientSecurity: HTTP2ClientTransport.Posix.TransportSecurity {
    guard let caFile else { return .plaintext }
    let certificateFile = self.certificateFile
    let keyFile = self.keyFile
    return .tls { config in
      config.trustRoots = .certificates([.file(path: caFile, format: .pem)])
      config.serverCertificateVerification = .fullVerification
      if let certificateFile, let keyFile {
        config.certificateChain = [.file(path: certificateFile, format: .pem)]
        config.privateKey = .file(path: keyFile, format: .pem)
      }
    }
  }

  /// Why plaintext may not serve on `host`: a listener off loopback without a certificate,
  /// unless `allowPlaintext` (`SAFEMAP_ALLOW_PLAINTEXT=true`) says so. nil when it may.
  public func plaintextProblem(listeningOn host: String, allowPlaintext: Bool) -> String? {
    guard !servesTLS, !Self.isLoopback(host), !allowPlaintext else { return nil }
    return "refusing to serve plaintext gRPC on \(host), which is not loopback: set "
      + "SAFEMAP_TLS_CERT_FILE and SAFEMAP_TLS_KEY_FILE (README: TLS), or "
      + "SAFEMAP_ALLOW_PLAINTEXT=true where something else encrypts the network"
  }

  /// Why plaintext may not be used to call `service` at `host`: tokens, passwords and the
  /// signing keys every token check trusts would cross the network readable and forgeable.
  /// nil when TLS is configured, `host` is loopback, or `allowPlaintext` says so.
  public func plaintextProblem(calling service: String, at host: String, allowPlaintext: Bool)
    -> String?
  {
    guard caFile == nil, !Self.isLoopback(host), !allowPlaintext else { return nil }
    return "refusing plaintext gRPC to \(service) at \(host), which is not loopback: set "
      + "SAFEMAP_TLS_CA_FILE (README: TLS), or SAFEMAP_ALLOW_PLAINTEXT=true where something "
      + "else encrypts the network"
  }

  /// Whether `host` is a loopback address, where plaintext stays on the machine.
  public static func isLoopback(_ host: String) -> Bool {
    let host = host.lowercased().trimmingCharacters(in: ["[", "]"])
    return host == "localhost" || host == "::1" || host.hasPrefix("127.")
  }
}
