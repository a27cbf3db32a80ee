import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SwiftProtobuf

struct Login: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Sign in; the tokens are kept in a file only you can read.",
    discussion: """
      Examples:
        safemap login officer.25
        printf '%s\\n' "$PASSWORD" | safemap login officer.25 --password-stdin
      """
  )

  @OptionGroup var global: GlobalOptions
  @Argument(help: "Your username.") var username: String
  @Flag(help: "Read the password from the first line of standard input.")
  var passwordStdin = false

  func run() async throws {
    let context = try global.context()
    let password = try Prompt.secret("Password", fromStandardInput: passwordStdin)
    let username = self.username
    let device = context.sessions.deviceToken(for: username)
    let response = try await context.account.call(login: true) { client in
      try await Safemap_Account_V1_AccountService.Client(wrapping: client).login(
        .with {
          $0.username = username
          $0.password = password
          $0.deviceToken = device
        }
      )
    }
    try context.sessions.saveDeviceToken(response.deviceToken, for: username)
    try context.sessions.save(
      Session(
        username: response.account.username,
        tokens: response.tokens,
        passwordChangeRequired: response.passwordChangeRequired
      )
    )
    print("Signed in as \(response.account.username) (\(Describe.account(response.account))).")
    if response.passwordChangeRequired {
      print("This is a one-time password: choose your own with `safemap passwd` first.")
    }
  }
}

struct Logout: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Sign out: end this session (or every session of yours) and forget its tokens.",
    discussion: """
      Examples:
        safemap logout
        safemap logout --all
      """
  )

  @OptionGroup var global: GlobalOptions
  @Flag(help: "End every session of your account, on every machine.") var all = false

  func run() async throws {
    let context = try global.context()
    guard let session = try context.sessions.load() else {
      print("Not signed in.")
      return
    }
    let all = self.all
    do {
      let authorization = try await context.authorization()
      _ = try await context.account.call { client in
        try await Safemap_Account_V1_AccountService.Client(wrapping: client).logout(
          .with {
            $0.refreshToken = session.refreshToken
            $0.allSessions = all
          },
          metadata: authorization
        )
      }
    } catch let failure as CLIFailure {
      try context.sessions.remove()
      throw CLIFailure("the tokens were forgotten here, but the server was not told: \(failure)")
    }
    try context.sessions.remove()
    print(all ? "Signed out everywhere." : "Signed out.")
  }
}

struct WhoAmI: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "whoami",
    abstract: "Show the signed-in account: role, scope, and when the session ends.",
    discussion: "Example:\n  safemap whoami"
  )

  @OptionGroup var global: GlobalOptions

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let response = try await context.account.call { client in
      try await Safemap_Account_V1_AccountService.Client(wrapping: client).whoAmI(
        .init(),
        metadata: authorization
      )
    }
    let account = response.account
    print("\(account.username): \(Describe.account(account))")
    if !account.displayName.isEmpty { print("name: \(account.displayName)") }
    if account.hasLastLoginTime {
      print("last login: \(Describe.instant(account.lastLoginTime))")
    }
    if let session = try context.sessions.load() {
      print("session ends: \(Describe.instant(session.refreshTokenExpiry))")
    }
    if account.passwordChangeRequired {
      print("one-time password: choose your own with `safemap passwd`")
    }
  }
}

struct Passwd: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Change your password (8–128 characters, not a common one, not your username).",
    discussion: """
      Examples:
        safemap passwd
        printf '%s\\n%s\\n' "$OLD" "$NEW" | safemap passwd --password-stdin
      """
  )

  @OptionGroup var global: GlobalOptions
  @Flag(help: "Read the current and the new password from two lines of standard input.")
  var passwordStdin = false

  func run() async throws {
    let context = try global.context()
    let current = try Prompt.secret("Current password", fromStandardInput: passwordStdin)
    let new = try Prompt.secret("New password", fromStandardInput: passwordStdin)
    if !passwordStdin && isatty(STDIN_FILENO) != 0 {
      guard try Prompt.secret("New password again", fromStandardInput: false) == new else {
        throw CLIFailure("the two new passwords differ; nothing was changed")
      }
    }
    let authorization = try await context.authorization()
    let tokens = try await context.account.call { client in
      try await Safemap_Account_V1_AccountService.Client(wrapping: client).changePassword(
        .with {
          $0.currentPassword = current
          $0.newPassword = new
        },
        metadata: authorization
      ).tokens
    }
    guard var session = try context.sessions.load() else { return }
    session.update(with: tokens)
    session.passwordChangeRequired = false
    try context.sessions.save(session)
    print("Password changed.")
  }
}
