public import GRPCCore
import GRPCNIOTransportHTTP2
public import SafeMapCore
import X509

/// Who may speak for someone else: web-service, which forwards the browser's address
/// (`x-forwarded-for`) and holds browser sessions (``ForwardedClientInterceptor``,
/// account-service's web-session RPCs).
///
/// - Over mutual TLS, the peer's client certificate must name one of ``certificateNames``
///   (a DNS subject alternative name, or the common name): any other certificate the CA
///   signed — assessment-service's, a CLI user's — is not web-service, whatever its address.
/// - In plaintext, which a service accepts only on loopback or with
///   `SAFEMAP_ALLOW_PLAINTEXT=true`, the peer's address must be in ``addresses``.
public struct TrustedProxyPolicy: Sendable, Hashable {
  /// Addresses believed when the listener is plaintext.
  public var addresses: TrustedProxies
  /// Names a client certificate must carry when the listener requires client certificates.
  public var certificateNames: Set<String>

  public init(addresses: TrustedProxies = .none, certificateNames: Set<String> = ["web-service"]) {
    self.addresses = addresses
    self.certificateNames = certificateNames
  }

  /// Nobody is trusted.
  public static let none = TrustedProxyPolicy(addresses: .none, certificateNames: [])

  /// Whether the caller of `context` is a trusted proxy.
  public func trusts(_ context: ServerContext) -> Bool {
    if let transport = context.transportSpecific as? HTTP2ServerTransport.Posix.Context,
      let certificate = transport.peerCertificate
    {
      return !certificateNames.isDisjoint(with: Self.names(of: certificate))
    }
    return addresses.contains(context.peerAddress)
  }

  /// A certificate's DNS subject alternative names and common names.
  static func names(of certificate: Certificate) -> Set<String> {
    var names: Set<String> = []
    if let alternatives = try? certificate.extensions.subjectAlternativeNames {
      for case .dnsName(let name) in alternatives { names.insert(name.lowercased()) }
    }
    for relative in certificate.subject {
      for attribute in relative where attribute.type == .RDNAttributeType.commonName {
        names.insert(attribute.value.description.lowercased())
      }
    }
    return names
  }
}
