import ArgumentParser

/// `safemap`: SafeMap for officials and operators at a terminal, through the services' gRPC
/// API like any other client (README "The safemap command").
public struct SafeMapCommand: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "safemap",
    abstract: "Use SafeMap from a terminal: accounts, facilities, assessments and reports.",
    discussion: """
      Start with `safemap login USERNAME`. The services are found at 127.0.0.1:50051–50053 \
      unless --account, --assessment and --reporting (or $SAFEMAP_ACCOUNT_SERVICE, …) say \
      otherwise; --tls-ca-file turns TLS on.

      Examples:
        safemap login officer.74
        safemap report summary --by district
        safemap facilities issue facilities.csv
        safemap credentials hand-out --all-awaiting --output tai-khoan.csv
      """,
    subcommands: [
      Login.self, Logout.self, WhoAmI.self, Passwd.self,
      Facilities.self, Zones.self, Accounts.self, Assess.self,
      Report.self, CampaignCommand.self, NominationsCommand.self, CredentialsCommand.self,
    ]
  )

  public init() {}
}
