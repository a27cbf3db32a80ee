import Foundation
import GRPCCore
import Logging
import PostgresNIO
import SafeMapAPI
import SafeMapClient
import SafeMapCore
import SafeMapDemo
import SafeMapRuntime
import SafeMapTestSupport
import SafeMapWeb
import SwiftProtobuf
import Testing

/// The three services on a new database with a small national demo loaded through them, and
/// web-service in front, all on local ports: what `make run` starts, in-process.
struct WebTestBed: Sendable {
  let account: RunningService
  let assessment: RunningService
  let reporting: RunningService
  let web: WebServer
  let webPort: Int
  var metricsPort: Int { web.configuration.metricsPort ?? 0 }

  static let officer = "officer.74"
  static let officerPassword = "Bình-Dương-2021!"
  static let adminPassword = "Bộ-Công-Thương-2021"

  static let shared = Task<WebTestBed, any Error> {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    var environment = TestKeys.environment
    environment["SAFEMAP_BOOTSTRAP_ADMIN"] = "admin"
    environment["SAFEMAP_BOOTSTRAP_PASSWORD"] = adminPassword
    let (account, assessment, reporting) = try await TestServices.startAll(
      database: database,
      environment: environment
    ) { account in
      // web-service runs on this machine: its forwarded browser addresses are believed.
      account.trustedProxies = try TrustedProxies(parsing: "127.0.0.1, ::1")
    }
    var demo = NationalDemo.Configuration(
      adminUsername: "admin",
      adminPassword: adminPassword,
      signingKeys: [TestKeys.signingKey],
      officerPassword: officerPassword
    )
    demo.facilities = 400
    demo.weeks = 2
    demo.accountPort = account.port
    demo.assessmentPort = assessment.port
    demo.reportingPort = reporting.port
    let loaded = demo
    _ = try await PostgresTesting.withClient(cluster.configuration(database: database)) {
      owner,
      logger in
      try await NationalDemo(configuration: loaded, logger: logger).load(owner: owner) { _ in }
    }
    let ports = (account: account.port, assessment: assessment.port, reporting: reporting.port)
    let (web, port) = try await startWeb(ports) { configuration in
      configuration.metricsPort = try FreePort.find()
    }
    return WebTestBed(
      account: account,
      assessment: assessment,
      reporting: reporting,
      web: web,
      webPort: port
    )
  }

  /// A web-service in front of the three services, started in-process on a free port; the
  /// defaults are the shared bed's (no metrics port, no cache, no anonymous rate limit, the
  /// test client trusted as the load balancer), `configure` changes them.
  static func startWeb(
    _ ports: (account: Int, assessment: Int, reporting: Int),
    configure: (inout WebConfiguration) throws -> Void = { _ in }
  ) async throws -> (WebServer, Int) {
    var configuration = WebConfiguration()
    configuration.host = "127.0.0.1"
    configuration.port = 0
    configuration.metricsPort = nil
    configuration.accountService = .init(host: "127.0.0.1", port: ports.account)
    configuration.assessmentService = .init(host: "127.0.0.1", port: ports.assessment)
    configuration.reportingService = .init(host: "127.0.0.1", port: ports.reporting)
    // Tests change levels and look again at once.
    configuration.publicMapCacheSeconds = 0
    // Many sign-ins and maps from one address; the tests of the limit turn it on.
    configuration.anonymousRateLimit = nil
    // The tests' HTTP client plays the load balancer in front of web-service.
    configuration.trustedProxies = try TrustedProxies(parsing: "127.0.0.1")
    try configure(&configuration)
    var logger = Logger(label: "test.web-service")
    logger.logLevel = .warning
    let web = try WebServer(configuration: configuration, logger: logger)
    Task { try await web.run(signals: []) }
    return (web, try await web.listeningPort())
  }

  /// Another web-service in front of this bed's services (a second replica, a restart).
  func startWeb(configure: (inout WebConfiguration) throws -> Void = { _ in }) async throws
    -> (WebServer, Int)
  {
    try await Self.startWeb(
      (account.port, assessment.port, reporting.port),
      configure: configure
    )
  }

  /// A real token for `username` (signed in through account-service).
  /// Tests in parallel sign in as the same officer at once, and the throttle reserves a
  /// failure for each attempt before its password is checked: a refusal is waited out.
  func token(_ username: String, _ password: String) async throws -> Metadata {
    let response = try await withLocalClient(port: account.port) { client in
      var attempts = 0
      while true {
        do {
          return try await Safemap_Account_V1_AccountService.Client(wrapping: client).login(
            .with {
              $0.username = username
              $0.password = password
            }
          )
        } catch let error as RPCError where error.code == .resourceExhausted && attempts < 10 {
          attempts += 1
          try await Task.sleep(for: .milliseconds(300))
        }
      }
    }
    var metadata = Metadata()
    metadata.addString("Bearer \(response.tokens.accessToken)", forKey: "authorization")
    return metadata
  }

  /// Province 74's facilities, as its officer lists them.
  func facilities(_ officer: Metadata) async throws -> [Safemap_Account_V1_Facility] {
    try await withLocalClient(port: account.port) { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client).listFacilities(
        .with {
          $0.provinceCode = "74"
          $0.pageSize = 1000
        },
        metadata: officer
      ).facilities
    }
  }

  /// A facility to assess: active, on the map, workplace only and not unsafe yet (so an
  /// unsafe result changes its colour), with a fresh one-time password; and the workplace
  /// catalogue it answers.
  func facilityToAssess(_ officer: Metadata) async throws -> (
    facility: Safemap_Account_V1_Facility, oneTimePassword: String,
    catalogue: Safemap_Assessment_V1_Catalogue
  ) {
    let facilities = try await facilities(officer)
    let listed = try await withLocalClient(port: account.port) { client in
      try await Safemap_Account_V1_AccountService.Client(wrapping: client).listAccounts(
        .with {
          $0.provinceCode = "74"
          $0.role = .facility
          $0.pageSize = 1000
        },
        metadata: officer
      ).accounts
    }
    for account in listed {
      guard
        let facility = facilities.first(where: {
          $0.facilityID == account.scope.facilityID && $0.operatingStatus == .active
            && $0.hasLocation && !$0.hasDormitory_p
        })
      else { continue }
      let (status, catalogue) = try await withLocalClient(port: assessment.port) { client in
        let assessments = Safemap_Assessment_V1_AssessmentService.Client(wrapping: client)
        return (
          try await assessments.getFacilityStatus(
            .with {
              $0.provinceCode = "74"
              $0.facilityID = facility.facilityID
            },
            metadata: officer
          ).status,
          try await assessments.getCatalogue(.with { $0.kind = .workplace }, metadata: officer)
            .catalogue
        )
      }
      guard status.mapLevel != .unsafe else { continue }
      let reset = try await withLocalClient(port: self.account.port) { client in
        try await Safemap_Account_V1_AccountService.Client(wrapping: client).resetPassword(
          .with { $0.accountID = account.accountID },
          metadata: officer
        )
      }
      return (facility, reset.initialPassword, catalogue)
    }
    throw WebTestFailure("no active, located, not yet unsafe facility left in province 74")
  }

  /// A new district officer of Thủ Dầu Một (718), with its one-time password.
  func newDistrictOfficer(_ officer: Metadata) async throws
    -> Safemap_Account_V1_CreateAccountResponse
  {
    try await withLocalClient(port: account.port) { client in
      try await Safemap_Account_V1_AccountService.Client(wrapping: client).createAccount(
        .with {
          $0.requestID = UUID().uuidString
          $0.username = "huyen.\(UUID().uuidString.prefix(8).lowercased())"
          $0.role = .districtOfficer
          $0.provinceCode = "74"
          $0.districtCode = "718"
          $0.displayName = "UBND Thủ Dầu Một"
        },
        metadata: officer
      )
    }
  }

  /// Signs `client` in through the web form; returns the page it lands on.
  @discardableResult
  func signIn(_ client: WebClient, _ username: String, _ password: String) async throws
    -> WebClient.Page
  {
    let form = try await client.get("/login")
    let csrf = try #require(form.csrf)
    return try await client.post(
      "/login",
      form: [("csrf", csrf), ("username", username), ("password", password), ("next", "")]
    )
  }
}

struct WebTestFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
