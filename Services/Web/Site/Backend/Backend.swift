import Foundation
public import GRPCCore
public import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapClient
import ServiceLifecycle
import SwiftProtobuf

/// web-service's connections to the three services: it is one more gRPC client of them, and
/// every decision about what a user may see is theirs, from the token it forwards.
public struct Backend: Sendable {
  public let account: GRPCClient<HTTP2ClientTransport.Posix>
  public let assessment: GRPCClient<HTTP2ClientTransport.Posix>
  public let reporting: GRPCClient<HTTP2ClientTransport.Posix>

  /// A province's public map is tens of thousands of points (about 5 MB for the largest):
  /// above gRPC's default 4 MiB limit on a response.
  static let maximumResponseBytes = 64 * 1024 * 1024

  public init(configuration: WebConfiguration) throws {
    account = try Self.client(configuration.accountService, tls: configuration.tls)
    assessment = try Self.client(configuration.assessmentService, tls: configuration.tls)
    reporting = try Self.client(configuration.reportingService, tls: configuration.tls)
  }

  /// The connections, run by the service group (started before the HTTP server and stopped
  /// after it).
  var services: [any Service] {
    [account, assessment, reporting].map { GRPCClientService(client: $0) }
  }

  var accounts: Safemap_Account_V1_AccountService.Client<HTTP2ClientTransport.Posix> {
    .init(wrapping: account)
  }
  var facilities: Safemap_Account_V1_FacilityService.Client<HTTP2ClientTransport.Posix> {
    .init(wrapping: account)
  }
  var nominations: Safemap_Account_V1_NominationService.Client<HTTP2ClientTransport.Posix> {
    .init(wrapping: account)
  }
  var credentials: Safemap_Account_V1_CredentialService.Client<HTTP2ClientTransport.Posix> {
    .init(wrapping: account)
  }
  var assessments: Safemap_Assessment_V1_AssessmentService.Client<HTTP2ClientTransport.Posix> {
    .init(wrapping: assessment)
  }
  var reports: Safemap_Reporting_V1_ReportingService.Client<HTTP2ClientTransport.Posix> {
    .init(wrapping: reporting)
  }

  private static func client(_ address: ServiceAddress, tls: TLSSettings) throws
    -> GRPCClient<HTTP2ClientTransport.Posix>
  {
    try ServiceClient.make(
      address,
      tls: tls,
      methodConfig: [
        // A page never waits long for a service that is down: it says so instead.
        // The transport reads responses up to the request limit (grpc-swift-nio-transport
        // 2.9: `maxRequestMessageBytes` sizes the stream's decoder), so both are raised.
        MethodConfig(
          names: [.init(service: "")],
          waitForReady: false,
          timeout: .seconds(60),
          maxRequestMessageBytes: maximumResponseBytes,
          maxResponseMessageBytes: maximumResponseBytes
        )
      ]
    )
  }

  /// Call options for a user's call: the access token and the browser's address, which
  /// account-service believes only because web-service is configured as a trusted proxy.
  static func metadata(token: String?, client: String) -> Metadata {
    var metadata = Metadata()
    if let token { metadata.addString("Bearer \(token)", forKey: "authorization") }
    metadata.addString(client, forKey: ForwardedClient.metadataKey)
    return metadata
  }
}
