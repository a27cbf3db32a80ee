import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SwiftProtobuf

struct Accounts: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Officials' accounts: create, list, reset a password, disable or enable.",
    subcommands: [AccountsCreate.self, AccountsList.self, AccountsReset.self, AccountsDisable.self]
  )

  enum Role: String, ExpressibleByArgument, CaseIterable {
    case ministry, province, district, zone, inspector
    var proto: Safemap_Common_V1_Role {
      switch self {
      case .ministry: .ministryAdmin
      case .province: .provinceOfficer
      case .district: .districtOfficer
      case .zone: .zoneOfficer
      case .inspector: .healthInspector
      }
    }
  }

  /// The one-time password, shown once: it is stored nowhere.
  static func printOneTimePassword(_ password: String, expires: Google_Protobuf_Timestamp) {
    print("One-time password: \(password)")
    print("(shown once; it must be changed at first login, before \(Describe.instant(expires)))")
  }
}

struct AccountsCreate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create",
    abstract: "Create an official's account; prints its one-time password once.",
    discussion: """
      The ministry creates ministry and province accounts; a province officer creates district, \
      zone and inspector accounts of the province.

      Examples:
        safemap accounts create officer.74 --role province --province 74
        safemap accounts create ubnd.718 --role district --district 718 --name "UBND TP Thủ Dầu Một"
      """
  )

  @OptionGroup var global: GlobalOptions
  @Argument(help: "The new username (unique in the country).") var username: String
  @Option(help: "ministry, province, district, zone or inspector.") var role: Accounts.Role
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Option(help: "District code, for district officers.") var district: String?
  @Option(help: "Zone id, for zone officers.") var zone: String?
  @Option(name: .customLong("name"), help: "Display name.") var displayName = ""
  @Option var email = ""
  @Option var phone = ""
  @Option(help: "Idempotency key: the same key again returns the first account.")
  var requestID = UUID().uuidString.lowercased()

  func run() async throws {
    let context = try global.context()
    let request = Safemap_Account_V1_CreateAccountRequest.with {
      $0.requestID = requestID
      $0.username = username
      $0.role = role.proto
      $0.provinceCode = province ?? ""
      $0.districtCode = district ?? ""
      $0.zoneID = zone ?? ""
      $0.displayName = displayName
      $0.email = email
      $0.phone = phone
    }
    let authorization = try await context.authorization()
    let response = try await context.account.call { client in
      try await Safemap_Account_V1_AccountService.Client(wrapping: client)
        .createAccount(request, metadata: authorization)
    }
    print("Created \(response.account.username) (\(Describe.account(response.account))).")
    if !response.initialPassword.isEmpty {
      Accounts.printOneTimePassword(
        response.initialPassword,
        expires: response.initialPasswordExpireTime
      )
    }
  }
}

struct AccountsList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "Accounts of a province, by role, district or zone.",
    discussion:
      "Examples:\n  safemap accounts list --role district\n  safemap accounts list --disabled"
  )

  @OptionGroup var global: GlobalOptions
  @OptionGroup var page: PageOptions
  @Option(help: "table, csv or json.") var format: OutputFormat = .table
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Option(help: "ministry, province, district, zone or inspector.") var role: Accounts.Role?
  @Option(help: "Only this district (code).") var district: String?
  @Option(help: "Only this zone (id).") var zone: String?
  @Flag(help: "Also disabled accounts.") var disabled = false

  func run() async throws {
    let context = try global.context()
    let request = Safemap_Account_V1_ListAccountsRequest.with {
      $0.provinceCode = province ?? ""
      $0.pageSize = Int32(page.pageSize)
      $0.pageToken = page.pageToken ?? ""
      if let role { $0.role = role.proto }
      $0.districtCode = district ?? ""
      $0.zoneID = zone ?? ""
      $0.includeDisabled = disabled
    }
    let authorization = try await context.authorization()
    let response = try await context.account.call { client in
      try await Safemap_Account_V1_AccountService.Client(wrapping: client)
        .listAccounts(request, metadata: authorization)
    }
    var table = Table(
      [
        .text("id"), .text("username"), .text("role"), .text("name"), .text("last login"),
        .text("state"),
      ]
    )
    for account in response.accounts {
      table.append([
        account.accountID, account.username, Describe.account(account), account.displayName,
        account.hasLastLoginTime ? Describe.instant(account.lastLoginTime) : "never",
        account.disabled
          ? "disabled" : account.passwordChangeRequired ? "one-time password" : "active",
      ])
    }
    try format.print(table, message: response)
    page.footer(shown: response.accounts.count, next: response.nextPageToken, format: format)
  }
}

struct AccountsReset: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reset",
    abstract: "Give an account a new one-time password (its sessions end).",
    discussion: "Example:\n  safemap accounts reset 6f1d…"
  )

  @OptionGroup var global: GlobalOptions
  @Argument(help: "The account's id (`safemap accounts list`).") var account: String

  func run() async throws {
    let context = try global.context()
    let account = self.account
    let authorization = try await context.authorization()
    let response = try await context.account.call { client in
      try await Safemap_Account_V1_AccountService.Client(wrapping: client)
        .resetPassword(.with { $0.accountID = account }, metadata: authorization)
    }
    Accounts.printOneTimePassword(
      response.initialPassword,
      expires: response.initialPasswordExpireTime
    )
  }
}

struct AccountsDisable: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "disable",
    abstract: "Disable an account (it can no longer sign in), or enable it again.",
    discussion: """
      Examples:
        safemap accounts disable 6f1d… --reason "chuyển công tác"
        safemap accounts disable 6f1d… --enable --reason "trở lại"
      """
  )

  @OptionGroup var global: GlobalOptions
  @Argument(help: "The account's id.") var account: String
  @Option(help: "Why; kept in the audit log.") var reason: String
  @Flag(help: "Enable the account again instead.") var enable = false

  func run() async throws {
    let context = try global.context()
    let request = Safemap_Account_V1_SetAccountDisabledRequest.with {
      $0.accountID = account
      $0.disabled = !enable
      $0.reason = reason
    }
    let authorization = try await context.authorization()
    let response = try await context.account.call { client in
      try await Safemap_Account_V1_AccountService.Client(wrapping: client)
        .setAccountDisabled(request, metadata: authorization)
    }
    print("\(response.account.username): \(response.account.disabled ? "disabled" : "enabled")")
  }
}
