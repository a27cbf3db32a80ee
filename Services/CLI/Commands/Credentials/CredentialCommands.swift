import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SwiftProtobuf

/// `safemap credentials`: a district or zone board hands out its own facilities' one-time
/// passwords, once, and chases those not yet signed in.
struct CredentialsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "credentials",
    abstract: "Hand out your unit's facility credentials and chase those not signed in.",
    subcommands: [CredentialsList.self, CredentialsSummary.self, CredentialsHandOut.self]
  )
}

enum CredentialStatusArgument: String, ExpressibleByArgument, CaseIterable {
  case awaiting, handedOut = "handed-out", activated, expired
  /// Every facility that has not signed in yet: the list to chase.
  case notActivated = "not-activated"

  func narrow(_ request: inout Safemap_Account_V1_ListFacilityCredentialsRequest) {
    switch self {
    case .awaiting: request.status = .awaitingHandOut
    case .handedOut: request.status = .handedOut
    case .activated: request.status = .activated
    case .expired: request.status = .expired
    case .notActivated: request.notActivated = true
    }
  }
}

struct CredentialsList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "Your unit's facility accounts: awaiting hand-out, handed out, activated, expired.",
    discussion: """
      Examples:
        safemap credentials list --status awaiting
        safemap credentials list --status not-activated --format csv > chua-dang-nhap.csv
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "table, csv or json.") var format: OutputFormat = .table
  @Option(help: "Only this status.") var status: CredentialStatusArgument?
  @Option(help: "Only this unit (province officers): a district code, or zone:<id>.")
  var unit: UnitArgument?
  @Option(help: "Province code (the ministry must name one).") var province: String?

  func run() async throws {
    let context = try global.context()
    let credentials = try await Self.all(
      status: status,
      unit: unit,
      province: province,
      context: context
    )
    var table = Table(
      [
        .text("facility id"), .text("tax code"), .text("name"), .text("district"),
        .text("username"), .text("status"), .text("handed out"), .text("expires"),
        .text("signed in"),
      ]
    )
    for credential in credentials.credentials {
      table.append([
        credential.facilityID, credential.taxCode, credential.name, credential.districtCode,
        credential.username, Describe.credentialStatus(credential.status),
        credential.hasHandOutTime ? Describe.instant(credential.handOutTime) : "",
        credential.hasExpireTime ? Describe.instant(credential.expireTime) : "",
        credential.hasActivateTime ? Describe.instant(credential.activateTime) : "",
      ])
    }
    try format.print(table, message: credentials)
  }

  /// Every page of the list.
  static func all(
    status: CredentialStatusArgument?,
    unit: UnitArgument?,
    province: String?,
    context: CLIContext
  ) async throws -> Safemap_Account_V1_ListFacilityCredentialsResponse {
    let authorization = try await context.authorization()
    var all = Safemap_Account_V1_ListFacilityCredentialsResponse()
    var token = ""
    repeat {
      let request = Safemap_Account_V1_ListFacilityCredentialsRequest.with {
        $0.provinceCode = province ?? ""
        status?.narrow(&$0)
        if let unit { $0.unit = unit.unit }
        $0.pageSize = 1000
        $0.pageToken = token
      }
      let page = try await context.account.call { client in
        try await Safemap_Account_V1_CredentialService.Client(wrapping: client)
          .listFacilityCredentials(request, metadata: authorization)
      }
      all.credentials += page.credentials
      token = page.nextPageToken
    } while !token.isEmpty
    return all
  }
}

struct CredentialsSummary: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "summary",
    abstract: "Per district and zone: awaiting hand-out, handed out, activated, expired."
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "table, csv or json.") var format: OutputFormat = .table
  @Option(help: "Province code (the ministry must name one).") var province: String?

  func run() async throws {
    let context = try global.context()
    let authorization = try await context.authorization()
    let request = Safemap_Account_V1_SummarizeFacilityCredentialsRequest.with {
      $0.provinceCode = province ?? ""
    }
    let summary = try await context.account.call { client in
      try await Safemap_Account_V1_CredentialService.Client(wrapping: client)
        .summarizeFacilityCredentials(request, metadata: authorization)
    }
    var table = Table(
      [
        .text("unit"), .text("name"), .number("awaiting"), .number("handed out"),
        .number("activated"), .number("expired"),
      ]
    )
    for unit in summary.units {
      table.append([
        Describe.unit(unit.unit), unit.unitName, String(unit.awaitingHandOut),
        String(unit.handedOut), String(unit.activated), String(unit.expired),
      ])
    }
    try format.print(table, message: summary)
  }
}

struct CredentialsHandOut: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hand-out",
    abstract: "Write your facilities' one-time passwords to a sheet only you can read, once.",
    discussion: """
      Each password is set now and shown only in this sheet (SafeMap keeps its hash): hand \
      each facility its own line, then delete the sheet. A facility already handed out is \
      refused; --reissue replaces the password of one handed out (or expired) and never used. \
      Every hand-out is audited.

      Examples:
        safemap credentials hand-out --all-awaiting --output tai-khoan.csv
        safemap credentials hand-out 6d1e… --reissue --output cap-lai.csv
      """
  )

  @OptionGroup var global: GlobalOptions
  @Flag(help: "Every facility of your unit awaiting hand-out.") var allAwaiting = false
  @Flag(help: "Replace unused (handed-out or expired) passwords.") var reissue = false
  @Option(help: "The sheet to write (created readable only by you; never overwritten).")
  var output: String
  @Option(help: "Province code (province officers may leave it out).") var province: String?
  @Argument(help: "Facility ids (instead of --all-awaiting).") var facilities: [String] = []

  func validate() throws {
    guard allAwaiting != !facilities.isEmpty else {
      throw ValidationError("name facility ids or --all-awaiting, not both")
    }
    guard !(allAwaiting && reissue) else {
      throw ValidationError("--reissue takes facility ids")
    }
  }

  func run() async throws {
    let context = try global.context()
    var ids = facilities
    if allAwaiting {
      ids = try await CredentialsList.all(
        status: .awaiting,
        unit: nil,
        province: province,
        context: context
      ).credentials.map(\.facilityID)
    }
    guard !ids.isEmpty else {
      print("No facility awaits hand-out.")
      return
    }
    let sheet = try CSVFile(path: output, private: true)
    try sheet.write([
      "facility", "tax code", "address", "username", "one-time password", "expires",
    ])
    let authorization = try await context.authorization()
    var written = 0
    // At most 1,000 per call: each call hands out its part and is audited on its own.
    for start in stride(from: 0, to: ids.count, by: 1_000) {
      let request = Safemap_Account_V1_HandOutCredentialsRequest.with {
        $0.provinceCode = province ?? ""
        $0.facilityIds = Array(ids[start..<min(ids.count, start + 1_000)])
        $0.method = .sheet
        $0.reissue = reissue
      }
      let handed = try await context.account.call { client in
        try await Safemap_Account_V1_CredentialService.Client(wrapping: client)
          .handOutCredentials(request, metadata: authorization).credentials
      }
      for entry in handed {
        let credential = entry.credential
        try sheet.write([
          credential.name, credential.taxCode, credential.address, credential.username,
          entry.oneTimePassword, Describe.instant(credential.expireTime),
        ])
        written += 1
      }
    }
    try sheet.close()
    print(
      "\(written) credentials written to \(output) (readable only by you; delete it once handed out)."
    )
  }
}
