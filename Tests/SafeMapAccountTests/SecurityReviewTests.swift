import Foundation
import GRPCCore
import Logging
import PostgresNIO
import SafeMapAPI
import SafeMapCore
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@testable import SafeMapAccount

/// The security review's findings on account-service (issue 8): each test failed before its fix.
@Suite("Security review: accounts")
struct SecurityReviewTests {
  /// Listens on IPv4 and IPv6, so tests can call from 127.0.0.1 and from ::1.
  /// A hashing queue long enough for the concurrent logins below.
  static let bed = Task {
    try await AccountTestBed.start(
      grpcHost: "::",
      extraEnvironment: ["SAFEMAP_PASSWORD_HASH_QUEUE": "100"]
    )
  }

  static func count(_ bed: AccountTestBed, _ sql: String) async throws -> Int {
    try await bed.superuser { client, logger in
      try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        .decode(Int.self).reduce(0, +)
    }
  }

  @Test("a refusal is audited in the caller's own province, never in the one it named")
  func refusalAuditedAtHome() async throws {
    let bed = try await Self.bed.value
    let admin = try await bed.admin
    let officer = try await bed.activeOfficer(
      "audit.home",
      role: .provinceOfficer,
      province: "25",
      as: admin
    )
    let before = try await Self.count(
      bed,
      "SELECT count(*)::int FROM audit_events WHERE province_code = '70'"
    )
    await expectCode(.notFound) {
      try await bed.facilities {
        try await $0.updateFacility(
          .with {
            $0.facility = .with {
              $0.provinceCode = "70"
              $0.facilityID = UUID().uuidString
              $0.name = "words of the caller's choosing"
            }
            $0.updateMask = .with { $0.paths = ["name"] }
          },
          metadata: officer
        )
      }
    }
    let after = try await Self.count(
      bed,
      "SELECT count(*)::int FROM audit_events WHERE province_code = '70'"
    )
    #expect(after == before, "a refusal landed in another province's audit log")
    let home = try await Self.count(
      bed,
      """
      SELECT count(*)::int FROM audit_events WHERE province_code = '25'
        AND actor_username = 'audit.home' AND action = 'UpdateFacility' AND outcome = 'DENIED'
      """
    )
    #expect(home == 1)
  }

  @Test("failures from one address never refuse the right password from another")
  func noLockout() async throws {
    let bed = try await Self.bed.value
    let admin = try await bed.admin
    _ = try await bed.activeOfficer(
      "victim.phutho",
      role: .healthInspector,
      province: "25",
      as: try await bed.activeOfficer(
        "so.victim",
        role: .provinceOfficer,
        province: "25",
        as: admin
      )
    )
    // An attacker on ::1 guesses until it is slowed down.
    var codes: [RPCError.Code] = []
    for _ in 0..<10 where codes.last != .resourceExhausted {
      do {
        _ = try await bed.login("victim.phutho", "guess guess guess", from: "::1")
      } catch let error as RPCError {
        codes.append(error.code)
      }
    }
    #expect(codes.contains(.resourceExhausted), "\(codes)")
    // The attacker's address is slowed down, even with the right password (checked at once:
    // the first delay is short).
    await expectCode(.resourceExhausted, mentioning: "retry in") {
      try await bed.login("victim.phutho", "Phu Tho factories 2021", from: "::1")
    }
    // The owner, from another address, gets in at once.
    let owner = try await bed.login("victim.phutho", "Phu Tho factories 2021", from: "127.0.0.1")
    #expect(owner.account.username == "victim.phutho")
  }

  @Test("concurrent wrong logins are each counted once, and each is audited without the password")
  func concurrentFailuresCount() async throws {
    // A bed of its own: these failures fill 127.0.0.1's per-address allowance.
    let bed = try await AccountTestBed.start(
      grpcHost: "::",
      extraEnvironment: ["SAFEMAP_PASSWORD_HASH_QUEUE": "100"]
    )
    await withTaskGroup(of: Void.self) { group in
      for _ in 0..<20 {
        group.addTask { _ = try? await bed.login("nobody.concurrent", "wrong password 1") }
      }
    }
    let failures = try await Self.count(
      bed,
      "SELECT failures FROM login_throttle WHERE throttle_key = 'user:127.0.0.1|nobody.concurrent'"
    )
    let audited = try await bed.superuser { client, logger in
      try await client.query(
        """
        SELECT outcome, detail, client_address FROM audit_events
        WHERE action = 'Login' AND actor_username = 'nobody.concurrent'
        """,
        logger: logger
      ).decode((String, String, String).self).reduce(into: [(String, String, String)]()) {
        $0.append($1)
      }
    }
    // Logins that arrive after the allowance is spent are refused before their password is
    // checked (FAILED, RESOURCE_EXHAUSTED), count nothing and are summarised in the log (the
    // 1st, 10th, … refusal of a block); how many depends on how the machine schedules the 20.
    // Every password checked and refused counts once: none is lost to a concurrent update.
    let denied = audited.filter { $0.0 == "DENIED" }.count
    #expect(denied >= 4, "three free failures and the one that starts the back-off, at least")
    #expect(failures == denied)
    #expect(audited.count < 20, "throttled refusals are summarised, not one row each")
    #expect(audited.allSatisfy { ($0.0 == "DENIED" || $0.0 == "FAILED") && $0.2 == "127.0.0.1" })
    #expect(!audited.contains { $0.1.contains("wrong password") })
  }

  @Test("ChangePassword's current-password check is throttled like a login")
  func changePasswordThrottled() async throws {
    let bed = try await Self.bed.value
    let admin = try await bed.admin
    let session = try await bed.activeOfficer(
      "guessing.officer",
      role: .provinceOfficer,
      province: "25",
      as: admin
    )
    // The delay doubles per failure, so a refusal comes even if each attempt is slow.
    var codes: [RPCError.Code] = []
    for attempt in 0..<10 where codes.last != .resourceExhausted {
      do {
        _ = try await bed.accounts {
          try await $0.changePassword(
            .with {
              $0.currentPassword = "not it \(attempt)"
              $0.newPassword = "A brand new passphrase"
            },
            metadata: session
          )
        }
      } catch let error as RPCError {
        codes.append(error.code)
      }
    }
    #expect(Array(codes.prefix(3)) == [.invalidArgument, .invalidArgument, .invalidArgument])
    #expect(codes.last == .resourceExhausted, "\(codes)")
  }

  @Test("an expired one-time password opens nothing: login, refresh or password change")
  func oneTimePasswordExpiryEverywhere() async throws {
    let bed = try await Self.bed.value
    let admin = try await bed.admin
    let created = try await bed.createOfficer(
      "expiring.otp",
      role: .provinceOfficer,
      province: "25",
      as: admin
    )
    let login = try await bed.login("expiring.otp", created.initialPassword)
    let session: Metadata = ["authorization": "Bearer \(login.tokens.accessToken)"]
    try await bed.superuser { client, logger in
      try await client.query(
        """
        UPDATE accounts SET one_time_password_expires_at = now() - interval '1 minute'
        WHERE username = 'expiring.otp'
        """,
        logger: logger
      )
    }
    await expectCode(.unauthenticated, mentioning: "expired") {
      try await bed.login("expiring.otp", created.initialPassword)
    }
    await expectCode(.unauthenticated, mentioning: "expired") {
      try await bed.accounts {
        try await $0.refreshToken(.with { $0.refreshToken = login.tokens.refreshToken })
      }
    }
    await expectCode(.unauthenticated, mentioning: "expired") {
      try await bed.accounts {
        try await $0.changePassword(
          .with {
            $0.currentPassword = created.initialPassword
            $0.newPassword = "A brand new passphrase"
          },
          metadata: session
        )
      }
    }
  }

  @Test("a session ends 30 days after its login, however often it was refreshed")
  func absoluteSessionLifetime() async throws {
    let bed = try await Self.bed.value
    let login = try await bed.signedIn("bo.admin", AccountTestBed.adminPassword)
    // The session began 29 days ago: a rotation may run for one more day, not fourteen.
    let tokenID = String(login.tokens.refreshToken.split(separator: ".")[1])
    try await bed.superuser { client, logger in
      try await client.query(
        """
        UPDATE refresh_tokens SET session_started_at = now() - interval '29 days'
        WHERE token_id = \(UUID(uuidString: tokenID))
        """,
        logger: logger
      )
    }
    let rotated = try await bed.accounts {
      try await $0.refreshToken(.with { $0.refreshToken = login.tokens.refreshToken })
    }
    let expiry = rotated.tokens.refreshTokenExpireTime.date
    #expect(expiry < Date().addingTimeInterval(24 * 3600 + 60))
    #expect(expiry > Date().addingTimeInterval(24 * 3600 - 60))
    // And past the 30 days, refreshing is refused.
    let rotatedID = String(rotated.tokens.refreshToken.split(separator: ".")[1])
    try await bed.superuser { client, logger in
      try await client.query(
        """
        UPDATE refresh_tokens SET session_started_at = now() - interval '31 days'
        WHERE token_id = \(UUID(uuidString: rotatedID))
        """,
        logger: logger
      )
    }
    await expectCode(.unauthenticated, mentioning: "30 days") {
      try await bed.accounts {
        try await $0.refreshToken(.with { $0.refreshToken = rotated.tokens.refreshToken })
      }
    }
  }
}

extension SecurityReviewTests {
  @Test("a 5 MiB request is RESOURCE_EXHAUSTED naming the limit, not a reset stream")
  func oversizedRequest() async throws {
    let bed = try await Self.bed.value
    let admin = try await bed.admin
    await expectCode(.resourceExhausted, mentioning: "4194304") {
      try await bed.facilities {
        try await $0.registerFacility(
          .with {
            $0.facility = facilityInput(taxCode: "2600999001")
            $0.facility.provinceCode = "25"
            $0.facility.address = String(repeating: "x", count: 5 * 1024 * 1024)
          },
          metadata: admin
        )
      }
    }
    // Within the size limit, an over-long field is INVALID_ARGUMENT naming it.
    await expectCode(.invalidArgument, mentioning: "facility.address: at most") {
      try await bed.facilities {
        try await $0.registerFacility(
          .with {
            $0.facility = facilityInput(taxCode: "2600999002")
            $0.facility.provinceCode = "25"
            $0.facility.address = String(repeating: "x", count: 5_000)
          },
          metadata: admin
        )
      }
    }
  }
}
