import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapClient
import SwiftProtobuf

/// The three services, as the demo calls them.
struct DemoClients: Sendable {
  let account: Safemap_Account_V1_AccountService.Client<HTTP2ClientTransport.Posix>
  let facilities: Safemap_Account_V1_FacilityService.Client<HTTP2ClientTransport.Posix>
  let assessment: Safemap_Assessment_V1_AssessmentService.Client<HTTP2ClientTransport.Posix>
  let reporting: Safemap_Reporting_V1_ReportingService.Client<HTTP2ClientTransport.Posix>

  static func with<Result: Sendable>(
    configuration c: NationalDemo.Configuration,
    _ body: @escaping @Sendable (DemoClients) async throws -> Result
  ) async throws -> Result {
    func transport(_ port: Int) throws -> HTTP2ClientTransport.Posix {
      try ServiceClient.transport(ServiceAddress(host: c.host, port: port), tls: TLSSettings())
    }
    return try await withGRPCClient(transport: try transport(c.accountPort)) { account in
      try await withGRPCClient(transport: try transport(c.assessmentPort)) { assessment in
        try await withGRPCClient(transport: try transport(c.reportingPort)) { reporting in
          try await body(
            DemoClients(
              account: .init(wrapping: account),
              facilities: .init(wrapping: account),
              assessment: .init(wrapping: assessment),
              reporting: .init(wrapping: reporting)
            )
          )
        }
      }
    }
  }

  static func bearer(_ token: String) -> Metadata { ["authorization": "Bearer \(token)"] }

  /// Runs `call` again when the service answers ABORTED (a transaction rolled back by a
  /// conflict, nothing written), as the API asks clients to, or RESOURCE_EXHAUSTED with a
  /// `retry-after` (a per-client rate limit: the demo calls from one address for every
  /// province at once), after waiting as long as it says.
  static func retrying<Result: Sendable>(
    _ call: @Sendable () async throws -> Result
  ) async throws -> Result {
    var waited = Duration.zero
    for attempt in 1... {
      do {
        return try await call()
      } catch let error as RPCError where error.code == .aborted && attempt < 5 {
        try await Task.sleep(for: .milliseconds(20 * attempt))
      } catch let error as RPCError where error.code == .resourceExhausted {
        // At most two minutes in all: a limit that long is a configuration to fix, not wait out.
        guard let wait = retryAfter(error), waited < .seconds(120) else { throw error }
        waited += wait
        try await Task.sleep(for: wait)
      }
    }
    fatalError("unreachable")
  }

  /// The wait a rate limit asks for (whole seconds, at most 30), if it asks for one.
  static func retryAfter(_ error: RPCError) -> Duration? {
    guard let text = error.metadata[stringValues: "retry-after"].first(where: { _ in true }),
      let seconds = Int(text), seconds >= 0
    else { return nil }
    return .seconds(min(seconds, 30))
  }

  /// Signs in; a one-time password is replaced by `newPassword` first.
  func signIn(_ username: String, _ password: String, newPassword: String? = nil) async throws
    -> Metadata
  {
    let login = try await Self.retrying {
      try await account.login(
        .with {
          $0.username = username
          $0.password = password
        }
      )
    }
    guard login.passwordChangeRequired else { return Self.bearer(login.tokens.accessToken) }
    guard let newPassword else {
      throw DemoError("\(username) still has a one-time password")
    }
    let changed = try await account.changePassword(
      .with {
        $0.currentPassword = password
        $0.newPassword = newPassword
      },
      metadata: Self.bearer(login.tokens.accessToken)
    )
    return Self.bearer(changed.tokens.accessToken)
  }

  func districts(of province: String, as caller: Metadata) async throws -> [String] {
    var codes: [String] = []
    var token = ""
    repeat {
      let after = token
      let page = try await Self.retrying {
        try await facilities.listDistricts(
          .with {
            $0.provinceCode = province
            $0.pageSize = 1000
            $0.pageToken = after
          },
          metadata: caller
        )
      }
      codes += page.districts.map(\.code)
      token = page.nextPageToken
    } while !token.isEmpty
    return codes.sorted()
  }

  func catalogues(as caller: Metadata) async throws -> [Safemap_Assessment_V1_Catalogue] {
    var catalogues: [Safemap_Assessment_V1_Catalogue] = []
    for kind in [Safemap_Common_V1_AssessmentKind.workplace, .dormitory] {
      catalogues.append(
        try await assessment.getCatalogue(.with { $0.kind = kind }, metadata: caller).catalogue
      )
    }
    return catalogues
  }
}
