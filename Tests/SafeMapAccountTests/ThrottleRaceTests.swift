import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@testable import SafeMapAccount

/// The login throttle against parallel guessing and against lock-outs of a shared address,
/// and the browser sessions account-service holds for web-service.
@Suite("Login throttle races and browser sessions")
struct ThrottleRaceTests {
  static func codes(_ results: [RPCError.Code?]) -> [String: Int] {
    results.reduce(into: [:]) { $0[$1.map { "\($0)" } ?? "ok", default: 0] += 1 }
  }

  @Test("200 parallel wrong passwords for one username hash at most the free ones and one more")
  func parallelGuesses() async throws {
    let bed = try await AccountTestBed.start()
    let admin = try await bed.admin
    _ = try await bed.activeOfficer(
      "race.officer",
      role: .provinceOfficer,
      province: "25",
      as: admin
    )
    let started = ContinuousClock.now
    // One connection, 200 calls at once on it: what a guessing script does.
    let results = try await bed.accounts { accounts in
      await withTaskGroup(of: RPCError.Code?.self) { group in
        for attempt in 0..<200 {
          group.addTask {
            do {
              _ = try await accounts.login(
                .with {
                  $0.username = "race.officer"
                  $0.password = "guess number \(attempt)"
                }
              )
              return nil
            } catch let error as RPCError {
              return error.code
            } catch {
              return .unknown
            }
          }
        }
        return await group.reduce(into: [RPCError.Code?]()) { $0.append($1) }
      }
    }
    let elapsed = Double((ContinuousClock.now - started).components.seconds) + 1
    let counted = Self.codes(results)
    let hashed = counted["unauthenticated"] ?? 0
    // 3 free failures, the 4th starts a 1 s delay, and one more gets through per delay
    // (1 s, 2 s, 4 s, …) while the 200 are being answered.
    let bound = 4 + Int(log2(elapsed + 1).rounded(.up))
    print("throttle race: 200 parallel wrong passwords in < \(Int(elapsed)) s → \(counted)")
    #expect(hashed >= 4 && hashed <= bound, "\(counted), bound \(bound)")
    #expect(hashed + (counted["resourceExhausted"] ?? 0) == 200, "\(counted)")
    // Refusals while throttled are summarised in the log, not one row each; failures on an
    // existing account are in its province.
    let rows = try await bed.superuser { client, logger in
      try await client.query(
        """
        SELECT province_code, outcome, detail FROM audit_events
        WHERE action = 'Login' AND actor_username = 'race.officer'
        """,
        logger: logger
      ).decode((String, String, String).self).reduce(into: [(String, String, String)]()) {
        $0.append($1)
      }
    }
    #expect(rows.filter { $0.1 == "DENIED" }.allSatisfy { $0.0 == "25" })
    #expect(rows.filter { $0.1 == "DENIED" }.count == hashed)
    let summaries = rows.filter { $0.2.contains("refused while throttled") }
    #expect(summaries.count >= 1 && summaries.count <= 3 * (bound - 3), "\(summaries.count) rows")
    try await bed.service.stop()
  }

  @Test("the owner signs in from an address where others fail: its device token counts alone")
  func deviceTokens() async throws {
    let bed = try await AccountTestBed.start()
    let admin = try await bed.admin
    _ = try await bed.activeOfficer(
      "owner.officer",
      role: .provinceOfficer,
      province: "25",
      as: admin
    )
    let first = try await bed.login("owner.officer", "Phu Tho factories 2021")
    #expect(!first.deviceToken.isEmpty)
    // Someone behind the same address (an office, a carrier's NAT) fails with other names
    // until the address itself is throttled; the owner tries at once (on a loaded machine a
    // fixed number of failures can end just as the address's delay passes).
    try await Self.failUntilThrottled(bed)
    await expectCode(.resourceExhausted) {
      try await bed.login("owner.officer", "Phu Tho factories 2021")
    }
    // The owner's browser (or CLI) presents its device token: counted for that device alone.
    let again = try await bed.login(
      "owner.officer",
      "Phu Tho factories 2021",
      device: first.deviceToken
    )
    #expect(again.deviceToken == first.deviceToken)
    // A device token is for its username only. The address's delay may have passed while the
    // owner signed in (a loaded machine): fail until it holds again, then try at once.
    try await Self.failUntilThrottled(bed)
    await expectCode(.resourceExhausted) {
      try await bed.login("stranger.1", "wrong", device: first.deviceToken)
    }
    try await bed.service.stop()
  }

  /// Wrong passwords for other usernames from the test's address until one is refused as
  /// throttled (RESOURCE_EXHAUSTED).
  static func failUntilThrottled(_ bed: AccountTestBed) async throws {
    for index in 0..<60 {
      do {
        _ = try await bed.login("stranger.\(index)", "wrong")
      } catch let error as RPCError where error.code == .resourceExhausted {
        return
      } catch {}
    }
    Issue.record("the address was never throttled")
  }

  @Test("browser sessions: web-service only, at most 10 per account, ended by a password change")
  func webSessions() async throws {
    let bed = try await AccountTestBed.start(trustedProxies: "127.0.0.1")
    let stranger = try await AccountTestBed.start()
    let admin = try await bed.admin
    _ = try await bed.activeOfficer(
      "web.officer",
      role: .provinceOfficer,
      province: "25",
      as: admin
    )
    @Sendable func open(_ on: AccountTestBed) async throws
      -> Safemap_Account_V1_CreateWebSessionResponse
    {
      try await on.accounts {
        try await $0.createWebSession(
          .with {
            $0.username = "web.officer"
            $0.password = "Phu Tho factories 2021"
          }
        )
      }
    }
    // A caller that is not web-service (not a trusted proxy here) is refused, and audited.
    await expectCode(.permissionDenied) { try await open(stranger) }
    var opened: [Safemap_Account_V1_CreateWebSessionResponse] = []
    for _ in 0..<11 { opened.append(try await open(bed)) }
    #expect(Set(opened.map(\.sessionID)).count == 11)
    #expect(opened[10].session.account.username == "web.officer")
    #expect(!opened[10].session.accessToken.isEmpty)
    @Sendable func get(_ id: String) async throws -> Safemap_Account_V1_GetWebSessionResponse {
      try await bed.accounts { try await $0.getWebSession(.with { $0.sessionID = id }) }
    }
    let oldest = opened[0].sessionID
    await expectCode(.notFound) { try await get(oldest) }
    #expect(try await get(opened[1].sessionID).session.csrfToken == opened[1].session.csrfToken)
    // A forged secret for a real id finds nothing.
    let forged = opened[2].sessionID.split(separator: ".").prefix(2).joined(separator: ".") + ".x"
    await expectCode(.notFound) { try await get(forged) }
    // The password change ends every browser session of the account.
    let token = try await get(opened[3].sessionID).session.accessToken
    _ = try await bed.accounts {
      try await $0.changePassword(
        .with {
          $0.currentPassword = "Phu Tho factories 2021"
          $0.newPassword = "Phu Tho factories 2022"
        },
        metadata: ["authorization": "Bearer \(token)"]
      )
    }
    let changed = opened[3].sessionID
    await expectCode(.notFound) { try await get(changed) }
    _ = try await bed.accounts { try await $0.endWebSession(.with { $0.sessionID = forged }) }
    try await bed.service.stop()
    try await stranger.service.stop()
  }
}
