import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapClient
import SwiftProtobuf

/// The typed clients of whatever services a test bed runs, written once for every bed: each
/// call opens a client over real TCP to the service's port for the duration of `body`.
public protocol ServiceTestBed: Sendable {
  /// Where `service` listens, or nil when the bed does not run it.
  func port(_ service: SafeMapService) -> Int?
}

/// A test asked a bed for a service it does not run.
public struct NotRunning: Error, CustomStringConvertible {
  public let service: SafeMapService
  public var description: String { "this test bed does not run \(service.processName)" }
}

extension ServiceTestBed {
  private func client<R: Sendable>(
    _ service: SafeMapService,
    from address: String = "127.0.0.1",
    _ body: @escaping @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> R
  ) async throws -> R {
    guard let port = port(service) else { throw NotRunning(service: service) }
    return try await withLocalClient(port: port, address: address, body)
  }

  /// account-service's AccountService; `address` `::1` calls from a second client address.
  public func accounts<R: Sendable>(
    from address: String = "127.0.0.1",
    _ body:
      @escaping @Sendable (Safemap_Account_V1_AccountService.Client<HTTP2ClientTransport.Posix>)
      async throws -> R
  ) async throws -> R {
    try await client(.account, from: address) {
      try await body(Safemap_Account_V1_AccountService.Client(wrapping: $0))
    }
  }

  /// account-service's FacilityService: the registry, zones, issuance, the audit log.
  public func facilities<R: Sendable>(
    _ body:
      @escaping @Sendable (Safemap_Account_V1_FacilityService.Client<HTTP2ClientTransport.Posix>)
      async throws -> R
  ) async throws -> R {
    try await client(.account) {
      try await body(Safemap_Account_V1_FacilityService.Client(wrapping: $0))
    }
  }

  /// account-service's NominationService: drives, nominations and their review.
  public func nominations<R: Sendable>(
    _ body:
      @escaping @Sendable (
        Safemap_Account_V1_NominationService.Client<HTTP2ClientTransport.Posix>
      ) async throws -> R
  ) async throws -> R {
    try await client(.account) {
      try await body(Safemap_Account_V1_NominationService.Client(wrapping: $0))
    }
  }

  /// account-service's CredentialService: the hand-out of one-time passwords.
  public func credentials<R: Sendable>(
    _ body:
      @escaping @Sendable (
        Safemap_Account_V1_CredentialService.Client<HTTP2ClientTransport.Posix>
      ) async throws -> R
  ) async throws -> R {
    try await client(.account) {
      try await body(Safemap_Account_V1_CredentialService.Client(wrapping: $0))
    }
  }

  public func assessments<R: Sendable>(
    _ body:
      @escaping @Sendable (
        Safemap_Assessment_V1_AssessmentService.Client<HTTP2ClientTransport.Posix>
      ) async throws -> R
  ) async throws -> R {
    try await client(.assessment) {
      try await body(Safemap_Assessment_V1_AssessmentService.Client(wrapping: $0))
    }
  }

  public func reports<R: Sendable>(
    _ body:
      @escaping @Sendable (
        Safemap_Reporting_V1_ReportingService.Client<HTTP2ClientTransport.Posix>
      ) async throws -> R
  ) async throws -> R {
    try await client(.reporting) {
      try await body(Safemap_Reporting_V1_ReportingService.Client(wrapping: $0))
    }
  }

  /// Submits one unit of `kind` as the facility behind `token`, with a new request id.
  @discardableResult
  public func submit(
    _ kind: Safemap_Common_V1_AssessmentKind,
    _ answers: [Safemap_Assessment_V1_Answer],
    as token: Metadata
  ) async throws -> Safemap_Assessment_V1_Assessment {
    try await assessments {
      try await $0.submitAssessment(
        .with {
          $0.requestID = UUID().uuidString
          $0.kind = kind
          $0.units = [
            .with {
              $0.unitName = kind == .workplace ? "Xưởng" : "Ký túc xá"
              $0.answers = answers
            }
          ]
        },
        metadata: token
      )
    }.assessment
  }
}
