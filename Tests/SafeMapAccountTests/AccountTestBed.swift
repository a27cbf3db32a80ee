import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import PostgresNIO
import SafeMapAPI
import SafeMapClient
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// account-service on its own migrated database, with a bootstrap ministry admin, called over
/// TCP the way clients call it.
struct AccountTestBed: Sendable {
  static let adminPassword = "ministry first password"
  let service: RunningService

  /// `grpcHost` `::` listens on IPv4 and IPv6, for tests that need two client addresses.
  static func start(
    grpcHost: String = "127.0.0.1",
    extraEnvironment: [String: String] = [:],
    trustedProxies: String = ""
  ) async throws -> AccountTestBed {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    var environment = TestKeys.environment
    environment["SAFEMAP_BOOTSTRAP_ADMIN"] = "bo.admin"
    environment["SAFEMAP_BOOTSTRAP_PASSWORD"] = adminPassword
    environment.merge(extraEnvironment) { $1 }
    var configuration = TestServices.configuration(.account, cluster: cluster, database: database)
    configuration.grpcHost = grpcHost
    configuration.trustedProxies = try TrustedProxies(parsing: trustedProxies)
    // `::` is every address of this test machine, not the network's: plaintext is fine here.
    configuration.allowPlaintext = !TLSSettings.isLoopback(grpcHost)
    return AccountTestBed(
      service: try await TestServices.start(
        .account,
        configuration: configuration,
        environment: environment
      )
    )
  }

  /// The bed's database, as the superuser (for checks no service role could make).
  func superuser<R: Sendable>(
    _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> R
  ) async throws -> R {
    let cluster = try await PostgresCluster.shared()
    return try await PostgresTesting.withClient(
      cluster.configuration(database: service.host.configuration.database.database),
      body
    )
  }

  func login(
    _ username: String,
    _ password: String,
    from address: String = "127.0.0.1",
    device: String = ""
  ) async throws -> Safemap_Account_V1_LoginResponse {
    try await accounts(from: address) {
      try await $0.login(
        .with {
          $0.username = username; $0.password = password; $0.deviceToken = device
        }
      )
    }
  }

  /// A login that succeeds. Tests running in parallel sign in as the same user from the same
  /// address at once, and the throttle reserves a failure for each attempt before its
  /// password is checked: a refusal then is waited out (the right password clears it).
  func signedIn(_ username: String, _ password: String) async throws
    -> Safemap_Account_V1_LoginResponse
  {
    for _ in 0..<10 {
      do {
        return try await login(username, password)
      } catch let error as RPCError where error.code == .resourceExhausted {
        try await Task.sleep(for: .milliseconds(300))
      }
    }
    return try await login(username, password)
  }

  /// Bearer metadata from a login that succeeds.
  func session(_ username: String, _ password: String) async throws -> Metadata {
    let response = try await signedIn(username, password)
    return ["authorization": "Bearer \(response.tokens.accessToken)"]
  }

  var admin: Metadata {
    get async throws { try await session("bo.admin", Self.adminPassword) }
  }

  /// Creates an officer account and returns its one-time password.
  func createOfficer(
    _ username: String,
    role: Safemap_Common_V1_Role,
    province: String = "",
    district: String = "",
    zone: String = "",
    as caller: Metadata
  ) async throws -> Safemap_Account_V1_CreateAccountResponse {
    try await accounts {
      try await $0.createAccount(
        .with {
          $0.username = username
          $0.role = role
          $0.provinceCode = province
          $0.districtCode = district
          $0.zoneID = zone
          $0.displayName = username
        },
        metadata: caller
      )
    }
  }

  /// An officer who has replaced the one-time password: returns the session.
  func activeOfficer(
    _ username: String,
    role: Safemap_Common_V1_Role,
    province: String = "",
    district: String = "",
    zone: String = "",
    as caller: Metadata
  ) async throws -> Metadata {
    let created = try await createOfficer(
      username,
      role: role,
      province: province,
      district: district,
      zone: zone,
      as: caller
    )
    let first = try await session(username, created.initialPassword)
    let changed = try await accounts {
      try await $0.changePassword(
        .with {
          $0.currentPassword = created.initialPassword
          $0.newPassword = "Phu Tho factories 2021"
        },
        metadata: first
      )
    }
    return ["authorization": "Bearer \(changed.tokens.accessToken)"]
  }
}

/// Asserts that `body` fails with `code` and, when given, a message containing `mentioning`.

func facilityInput(
  taxCode: String,
  district: String = "227",
  name: String = "Công ty May Việt Trì"
) -> Safemap_Account_V1_Facility {
  .with {
    $0.name = name
    $0.taxCode = taxCode
    $0.address = "Khu 5, Thụy Vân"
    $0.districtCode = district
    $0.sector = "Dệt may"
    $0.workerCount = 420
    $0.workshopAreaM2 = 2_500
    $0.contactPhone = "0210 3845 445"
    $0.contactEmail = "lienhe@example.vn"
    $0.location = .with {
      $0.latitude = 21.33; $0.longitude = 105.38
    }
  }
}

extension AccountTestBed: ServiceTestBed {
  func port(_ service: SafeMapService) -> Int? { service == .account ? self.service.port : nil }
}
