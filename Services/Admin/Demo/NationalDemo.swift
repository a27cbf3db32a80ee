public import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
public import Logging
public import PostgresNIO
import SafeMapAPI
public import SafeMapAuth
import SafeMapCore
import SwiftProtobuf

/// The national demo of `make run`: a living country on the map, written through the running
/// services' RPCs as officials and facilities would write it.
///
/// The ministry admin creates an officer and a health inspector per province, who sign in and
/// choose their passwords; officers create zones and issue facility accounts in bulk; facilities
/// assess themselves through `SubmitAssessment` with tokens signed by the local development key
/// (facilities would otherwise each have to replace their one-time password, an Argon2id hash
/// apiece); officers suspend and close some, inspectors record inspections, and each province
/// opens a campaign. Only what no RPC may do is done in SQL, as the schema owner, at the end:
/// the assessments are moved back to the weeks they were planned for (every RPC stamps the
/// present), the facility status rows follow them, and the accounts' issue times move before
/// the first of them. The triggers keep every derived table as the services would.
public struct NationalDemo: Sendable {
  public struct Configuration: Sendable {
    public var facilities = 20_000
    public var weeks = 4
    public var seed: UInt64 = 2021
    public var host = "127.0.0.1"
    public var accountPort = 50051
    public var assessmentPort = 50052
    public var reportingPort = 50053
    public var adminUsername: String
    public var adminPassword: String
    /// The development signing key account-service signs with (its first line signs).
    public var signingKeys: [PrivateSigningKey]
    public var tokenAudience = "safemap"
    public var tokenIssuer = "safemap-account"
    /// The province whose officer's password is chosen here (and printed by `make run`).
    public var featuredProvince = ProvinceGeography.largest
    public var officerPassword: String
    /// Submissions in flight at once.
    public var concurrency = 16

    public init(
      adminUsername: String,
      adminPassword: String,
      signingKeys: [PrivateSigningKey],
      officerPassword: String
    ) {
      self.adminUsername = adminUsername
      self.adminPassword = adminPassword
      self.signingKeys = signingKeys
      self.officerPassword = officerPassword
    }
  }

  public struct Outcome: Sendable {
    public var provinces = 0
    public var facilities = 0
    public var submissions = 0
    public var suspended = 0
    public var inspections = 0
    public var campaigns = 0
    /// Map levels the service returned for the submissions.
    public var levels: [String: Int] = [:]
    public var officerUsername = ""
  }

  public let configuration: Configuration
  public let logger: Logger

  public init(configuration: Configuration, logger: Logger) {
    self.configuration = configuration
    self.logger = logger
  }

  /// Whether the database already holds facilities (a second `make run` reuses them).
  public static func isLoaded(owner: PostgresClient, logger: Logger) async throws -> Bool {
    let rows = try await owner.query("SELECT EXISTS (SELECT FROM facilities)", logger: logger)
    for try await loaded in rows.decode(Bool.self) { return loaded }
    return false
  }

  /// Loads the country; `report` hears each province as it is done.
  public func load(
    owner: PostgresClient,
    report: @escaping @Sendable (String) -> Void
  ) async throws -> Outcome {
    let c = configuration
    guard let key = c.signingKeys.first else {
      throw DemoError("no signing key: the demo signs facility tokens with the development key")
    }
    let signer = await TokenSigner(
      activeKey: key,
      audience: c.tokenAudience,
      issuer: c.tokenIssuer,
      lifetime: 3_600
    )
    return try await DemoClients.with(configuration: c) { clients in
      let admin = try await clients.signIn(c.adminUsername, c.adminPassword)
      var districts: [String: [String]] = [:]
      for province in ProvinceGeography.centres.keys.sorted() {
        districts[province] = try await clients.districts(of: province, as: admin)
      }
      let plan = DemoPlan.make(
        facilities: c.facilities,
        weeks: c.weeks,
        districts: districts,
        seed: c.seed
      )
      let answers = LevelAnswers(catalogues: try await clients.catalogues(as: admin))
      var outcome = Outcome()
      var ages: [(province: String, assessment: String, age: TimeInterval)] = []
      for province in plan.provinces {
        let loaded = try await ProvinceLoader(
          province: province,
          clients: clients,
          admin: admin,
          signer: signer,
          answers: answers,
          configuration: c
        ).load()
        outcome.provinces += 1
        outcome.facilities += province.facilities.count
        outcome.submissions += loaded.ages.count
        outcome.suspended += loaded.suspended
        outcome.inspections += loaded.inspections
        outcome.campaigns += 1
        for (level, count) in loaded.levels { outcome.levels[level, default: 0] += count }
        ages += loaded.ages.map { (province.code, $0.assessment, $0.age) }
        report(
          "province \(province.code): \(province.facilities.count) facilities, "
            + "\(loaded.ages.count) assessments"
        )
      }
      try await HistoryShift.apply(
        ages: ages,
        provinces: plan.provinces.map(\.code),
        issuedBefore: TimeInterval(c.weeks + 1) * 7 * 86_400,
        owner: owner,
        logger: logger
      )
      outcome.officerUsername = ProvinceLoader.officerUsername(c.featuredProvince)
      return outcome
    }
  }
}

struct DemoError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
