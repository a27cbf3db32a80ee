import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@Suite("Sessions and passwords")
struct SessionTests {
  static let bed = Task { try await AccountTestBed.start() }

  @Test("the one-time password flow: only ChangePassword, WhoAmI and Logout until it is replaced")
  func oneTimePasswordFlow() async throws {
    let bed = try await Self.bed.value
    let admin = try await bed.admin
    let created = try await bed.createOfficer(
      "so.phutho",
      role: .provinceOfficer,
      province: "25",
      as: admin
    )
    #expect(created.initialPassword.count == 24)
    #expect(created.account.passwordChangeRequired)

    let login = try await bed.login("so.phutho", created.initialPassword)
    #expect(login.passwordChangeRequired)
    let first: Metadata = ["authorization": "Bearer \(login.tokens.accessToken)"]
    await expectCode(.failedPrecondition, mentioning: "password change required") {
      try await bed.facilities { try await $0.listZones(.init(), metadata: first) }
    }
    let me = try await bed.accounts { try await $0.whoAmI(.init(), metadata: first) }
    #expect(me.account.username == "so.phutho")
    #expect(me.account.scope.provinceCode == "25")

    // Each policy rule has its own message.
    for (password, rule) in [
      ("short", "at least 8"), ("password123", "too common"), ("so.phutho", "username"),
    ] {
      await expectCode(.invalidArgument, mentioning: rule) {
        try await bed.accounts {
          try await $0.changePassword(
            .with {
              $0.currentPassword = created.initialPassword; $0.newPassword = password
            },
            metadata: first
          )
        }
      }
    }
    await expectCode(.invalidArgument, mentioning: "current_password") {
      try await bed.accounts {
        try await $0.changePassword(
          .with {
            $0.currentPassword = "wrong one"; $0.newPassword = "Phu Tho factories 2021"
          },
          metadata: first
        )
      }
    }
    let changed = try await bed.accounts {
      try await $0.changePassword(
        .with {
          $0.currentPassword = created.initialPassword; $0.newPassword = "Phu Tho factories 2021"
        },
        metadata: first
      )
    }
    let now: Metadata = ["authorization": "Bearer \(changed.tokens.accessToken)"]
    _ = try await bed.facilities { try await $0.listZones(.init(), metadata: now) }
    // The one-time password no longer works, and the session it opened is gone.
    await expectCode(.unauthenticated) { try await bed.login("so.phutho", created.initialPassword) }
    await expectCode(.unauthenticated) {
      try await bed.accounts {
        try await $0.refreshToken(.with { $0.refreshToken = login.tokens.refreshToken })
      }
    }
    #expect(try await !bed.login("so.phutho", "Phu Tho factories 2021").passwordChangeRequired)
  }

  @Test("refresh tokens rotate, and presenting a used one revokes the whole session")
  func refreshRotationAndReuse() async throws {
    let bed = try await Self.bed.value
    let login = try await bed.signedIn("bo.admin", AccountTestBed.adminPassword)
    let second = try await bed.accounts {
      try await $0.refreshToken(.with { $0.refreshToken = login.tokens.refreshToken })
    }
    #expect(second.tokens.refreshToken != login.tokens.refreshToken)
    #expect(!second.tokens.accessToken.isEmpty)
    // The first token again: someone kept a copy.
    await expectCode(.unauthenticated, mentioning: "already used") {
      try await bed.accounts {
        try await $0.refreshToken(.with { $0.refreshToken = login.tokens.refreshToken })
      }
    }
    // The legitimate holder's newer token is revoked with its family.
    await expectCode(.unauthenticated) {
      try await bed.accounts {
        try await $0.refreshToken(.with { $0.refreshToken = second.tokens.refreshToken })
      }
    }
    await expectCode(.unauthenticated) {
      try await bed.accounts {
        try await $0.refreshToken(.with { $0.refreshToken = "25.garbage.x" })
      }
    }
  }

  @Test("logout ends the session's refresh token")
  func logout() async throws {
    let bed = try await Self.bed.value
    let login = try await bed.signedIn("bo.admin", AccountTestBed.adminPassword)
    let auth: Metadata = ["authorization": "Bearer \(login.tokens.accessToken)"]
    _ = try await bed.accounts {
      try await $0.logout(.with { $0.refreshToken = login.tokens.refreshToken }, metadata: auth)
    }
    await expectCode(.unauthenticated) {
      try await bed.accounts {
        try await $0.refreshToken(.with { $0.refreshToken = login.tokens.refreshToken })
      }
    }
  }

  @Test("failed logins slow down per username, and unknown usernames look the same")
  func throttling() async throws {
    let bed = try await Self.bed.value
    let admin = try await bed.admin
    _ = try await bed.activeOfficer(
      "ytp.phutho",
      role: .healthInspector,
      province: "25",
      as: try await bed.activeOfficer(
        "so2.phutho",
        role: .provinceOfficer,
        province: "25",
        as: admin
      )
    )
    for username in ["ytp.phutho", "no.such.user"] {
      var codes: [RPCError.Code] = []
      var messages: Set<String> = []
      for _ in 0..<5 {
        do {
          _ = try await bed.login(username, "not the password")
        } catch let error as RPCError {
          codes.append(error.code)
          if error.code == .unauthenticated { messages.insert(error.message) }
        }
      }
      #expect(Array(codes.prefix(3)) == [.unauthenticated, .unauthenticated, .unauthenticated])
      #expect(codes.last == .resourceExhausted, "\(username): \(codes)")
      #expect(messages == ["invalid username or password"])
      if username == "ytp.phutho" {
        // While throttled, even the right password waits. The first delay is 1 s, which a
        // loaded machine can outlast between two calls (seen in a fresh-clone CI run): the
        // right password then signs in and clears the throttle, and the round starts again.
        var waited = false
        for _ in 0..<3 where !waited {
          for _ in 0..<10 {
            do {
              _ = try await bed.login(username, "not the password")
            } catch let error as RPCError where error.code == .resourceExhausted {
              break
            } catch {}
          }
          do {
            _ = try await bed.login("ytp.phutho", "Phu Tho factories 2021")
          } catch let error as RPCError where error.code == .resourceExhausted {
            #expect(error.message.contains("retry in"))
            waited = true
          }
        }
        #expect(waited, "the right password was never held back while throttled")
      }
    }
  }
}
