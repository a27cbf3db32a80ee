import Foundation
import SafeMapRuntime
import SafeMapTestSupport
import Testing

/// The `safemap` binary against the three services running on local ports, as an official and
/// a facility use it: signing in, issuing accounts from a CSV file, reports as tables and CSV,
/// a campaign, an assessment, and the one-line errors.
@Suite("The safemap command", .serialized)
struct CLITests {
  static let adminPassword = "Quản-trị-2021!"

  /// The three services on a new database, with a bootstrapped ministry admin.
  struct Bed: Sendable {
    let account: RunningService
    let assessment: RunningService
    let reporting: RunningService

    func runner() throws -> CLIRunner {
      try CLIRunner(account: account.port, assessment: assessment.port, reporting: reporting.port)
    }
  }

  static let bed = Task<Bed, any Error> {
    let database = try await PostgresCluster.shared().makeMigratedDatabase()
    var environment = TestKeys.environment
    environment["SAFEMAP_BOOTSTRAP_ADMIN"] = "admin"
    environment["SAFEMAP_BOOTSTRAP_PASSWORD"] = adminPassword
    let (account, assessment, reporting) = try await TestServices.startAll(
      database: database,
      environment: environment
    )
    return Bed(account: account, assessment: assessment, reporting: reporting)
  }

  /// The one-time password a command printed.
  static func oneTimePassword(in output: String) throws -> String {
    let line = try #require(
      output.split(separator: "\n").first { $0.hasPrefix("One-time password: ") }
    )
    return String(line.dropFirst("One-time password: ".count))
  }

  /// Signs `username` in with a one-time password and chooses `password`.
  static func firstLogin(
    _ cli: CLIRunner,
    _ username: String,
    _ oneTime: String,
    _ password: String
  )
    throws
  {
    let login = try cli.ok(["login", username, "--password-stdin"], input: oneTime + "\n")
    #expect(login.contains("one-time password"))
    let refused = try cli.run(["report", "summary"])
    #expect(refused.status != 0)
    #expect(refused.error.contains("safemap passwd"), "\(refused.error)")
    #expect(
      try cli.ok(["passwd", "--password-stdin"], input: "\(oneTime)\n\(password)\n")
        .contains("Password changed.")
    )
  }

  @Test("sign in, issue from CSV, read the reports, run a campaign, assess, sign out")
  func officialAndFacility() async throws {
    let cli = try await Self.bed.value.runner()

    // A wrong password is one line naming the problem, not a gRPC status.
    let wrong = try cli.run(["login", "admin", "--password-stdin"], input: "not-it\n")
    #expect(wrong.status != 0)
    #expect(wrong.error == "Error: wrong username or password\n")

    #expect(
      try cli.ok(["login", "admin", "--password-stdin"], input: Self.adminPassword + "\n")
        .contains("Signed in as admin (ministry admin, every province).")
    )
    let attributes = try FileManager.default.attributesOfItem(atPath: cli.sessionFile)
    #expect((attributes[.posixPermissions] as? Int) == 0o600, "only the user reads the tokens")
    #expect(try cli.ok(["whoami"]).hasPrefix("admin: ministry admin"))

    let created = try cli.ok([
      "accounts", "create", "officer.70", "--role", "province", "--province", "70",
      "--name", "Sở Công Thương Bình Phước",
    ])
    try Self.firstLogin(
      cli,
      "officer.70",
      try Self.oneTimePassword(in: created),
      "Bình-Phước-2021!"
    )

    // Three facilities issued; a cell this tool cannot read and a tax code the service refuses
    // are listed with their lines, and the batch goes on.
    let csv = """
      name,tax_code,district_code,address,worker_count,has_dormitory,dormitory_residents,latitude,longitude
      Công ty TNHH Dệt may Đồng Xoài,3800000011,689,"12 Phú Riềng Đỏ, Đồng Xoài",350,yes,80,11.53,106.89
      Công ty CP Gỗ Minh Phát,3800000029,697,Minh Hưng,120,no,0,11.43,106.61
      Xưởng cơ khí Tân Khai,3800000037,694,,abc,no,0,,
      "Công ty Điện tử
      Minh Hưng",3800000045,697,KCN Minh Hưng,900,no,0,11.45,106.63
      Bad tax code,12,689,,10,no,0,,
      """
    try Data(csv.utf8).write(to: URL(fileURLWithPath: cli.path("facilities.csv")))
    let issued = try cli.ok([
      "facilities", "issue", cli.path("facilities.csv"), "--issuer-sheet", "--credentials",
      cli.path("sheet.csv"),
    ])
    #expect(issued.contains(": 3 issued, 0 already had an account, 2 rejected."), "\(issued)")
    #expect(issued.contains("line 4: worker_count: \"abc\" is not a whole number"), "\(issued)")
    #expect(issued.contains("line 7: facility.tax_code"), "\(issued)")
    let sheetAttributes = try FileManager.default.attributesOfItem(atPath: cli.path("sheet.csv"))
    #expect((sheetAttributes[.posixPermissions] as? Int) == 0o600)
    let sheet = try String(contentsOfFile: cli.path("sheet.csv"), encoding: .utf8)
      .split(separator: "\n")
    #expect(sheet[0] == "line,facility,tax code,username,one-time password,expires")
    #expect(sheet.filter { $0.contains(",38000000") }.count == 3, "three credentials")
    // The same file again issues nothing twice, and never overwrites a sheet.
    let again = try cli.run([
      "facilities", "issue", cli.path("facilities.csv"), "--issuer-sheet", "--credentials",
      cli.path("sheet.csv"),
    ])
    #expect(again.error.contains("already exists"))
    let repeated = try cli.ok([
      "facilities", "issue", cli.path("facilities.csv"), "--issuer-sheet", "--credentials",
      cli.path("sheet2.csv"),
    ])
    #expect(repeated.contains(": 0 issued, 3 already had an account, 2 rejected."), "\(repeated)")
    #expect(!FileManager.default.fileExists(atPath: cli.path("sheet2.csv")))

    // R2 as a table: Vietnamese names keep the columns aligned.
    let r2 = try cli.ok(["report", "summary", "--by", "district"])
    let lines = r2.split(separator: "\n").dropFirst().filter {
      $0.hasPrefix("|") || $0.hasPrefix("+")
    }
    #expect(lines.count > 5)
    #expect(Set(lines.map(\.count)).count == 1, "every line of the table is as wide:\n\(r2)")
    #expect(r2.contains("Đồng Xoài") && r2.contains("Bù Gia Mập"))
    // R1 as CSV: the total counts the three issued facilities, none assessed.
    let r1 = try cli.ok(["report", "summary", "--format", "csv"])
    let total = try #require(r1.split(separator: "\n").first { $0.hasPrefix("TOTAL,") })
    #expect(total.split(separator: ",").dropFirst(2).prefix(6) == ["3", "0", "3", "0", "0", "0"])

    let r4 = try cli.ok(["report", "list", "--r4"])
    #expect(r4.contains("3 of 3 facilities"))
    #expect(
      try cli.ok(["report", "export", "--r4", "--output", cli.path("r4.csv")]).contains(
        "3 facilities written"
      )
    )
    let exported = try String(contentsOfFile: cli.path("r4.csv"), encoding: .utf8)
    #expect(exported.hasPrefix("name,tax code,address,"))
    #expect(exported.contains("\"Công ty Điện tử\nMinh Hưng\""), "an embedded newline stays quoted")

    let deadline = Date().addingTimeInterval(7 * 24 * 3600).formatted(
      Date.ISO8601FormatStyle(timeZone: TimeZone(secondsFromGMT: 7 * 3600)!).year().month().day()
    )
    let opened = try cli.ok([
      "campaign", "create", "--title", "Đợt đánh giá tháng 12", "--deadline", deadline,
    ])
    let campaignID = try #require(
      opened.split(separator: " ").dropFirst().first.map(String.init),
      "\(opened)"
    )
    #expect(try cli.ok(["campaign", "list"]).contains("Đợt đánh giá tháng 12"))
    let progress = try cli.ok(["report", "campaign", campaignID, "--format", "csv"])
    #expect(progress.contains("total,TOTAL,"), "\(progress)")
    #expect(progress.split(separator: "\n").last?.hasSuffix(",3,0,3,0.0") == true, "\(progress)")
    // Who has reported, and the letter with its two attached lists.
    let units = try cli.ok(["campaign", "units", campaignID, "--format", "csv"])
    #expect(units.hasPrefix("unit,code,name,active,state,timeliness"), "\(units)")
    #expect(units.contains("not submitted,missing"), "\(units)")
    let letter = try cli.ok(["report", "letter", campaignID, "--attachments", cli.path("letter")])
    #expect(letter.contains("Đơn vị đã gửi báo cáo: 0/"), "\(letter)")
    let annex = try String(contentsOfFile: cli.path("letter/phu-luc-1.csv"), encoding: .utf8)
    #expect(annex.hasPrefix("name,tax code,"))
    #expect(letter.contains("3 facilities written to"), "\(letter)")
    #expect(annex.contains("3800000011") && annex.contains("3800000029"), "\(annex)")

    // A facility signs in with its sheet's one-time password and assesses itself.
    let first = sheet[1].split(separator: ",").map(String.init)
    let facilityCLI = try await Self.bed.value.runner()
    try Self.firstLogin(facilityCLI, first[3], first[4], "Nhà-máy-2021!")
    let catalogue = try facilityCLI.ok(["assess", "catalogue", "--format", "json"])
    let answers = try Self.lowestAnswers(catalogueJSON: catalogue)
    try Data(answers.utf8).write(to: URL(fileURLWithPath: facilityCLI.path("answers.json")))
    let result = try facilityCLI.ok(["assess", "submit", facilityCLI.path("answers.json")])
    #expect(result.hasPrefix("workplace: safe"), "\(result)")
    #expect(try facilityCLI.ok(["assess", "status"]).hasPrefix("On the map: safe"))
    #expect(
      try facilityCLI.ok(["assess", "submit", facilityCLI.path("answers.json")]).hasPrefix(
        "Already submitted"
      )
    )

    let after = try cli.ok(["report", "summary", "--format", "csv"])
    let totalAfter = try #require(after.split(separator: "\n").first { $0.hasPrefix("TOTAL,") })
    #expect(totalAfter.split(separator: ",").dropFirst(2).prefix(5) == ["3", "0", "3", "1", "1"])
    let today = Date().formatted(
      Date.ISO8601FormatStyle(timeZone: TimeZone(secondsFromGMT: 7 * 3600)!).year().month().day()
    )
    let trend = try cli.ok(["report", "trend", "--from", today, "--to", today])
    let point = try #require(trend.split(separator: "\n").first { $0.contains(today) }, "\(trend)")
    let cells = point.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
    #expect(cells == [today, "1", "0", "0", "0", "2", "1"], "one safe, two never, one submission")

    #expect(try cli.ok(["logout"]).contains("Signed out."))
    #expect(!FileManager.default.fileExists(atPath: cli.sessionFile))
    let signedOut = try cli.run(["whoami"])
    #expect(signedOut.error == "Error: not signed in: run `safemap login`\n")
  }

  /// Answers choosing each criterion's lowest-scoring option (profile criteria left to the
  /// service), as the JSON `assess submit` reads.
  static func lowestAnswers(catalogueJSON: String) throws -> String {
    let object = try JSONSerialization.jsonObject(with: Data(catalogueJSON.utf8))
    let catalogue = try #require((object as? [String: Any])?["catalogue"] as? [String: Any])
    let criteria = try #require(catalogue["criteria"] as? [[String: Any]])
    var answers: [[String: String]] = []
    for criterion in criteria where criterion["profileSource"] == nil {
      let options = try #require(criterion["options"] as? [[String: Any]])
      let lowest = try #require(
        options.min { ($0["points"] as? Int ?? 0) < ($1["points"] as? Int ?? 0) }
      )
      answers.append([
        "criterionCode": try #require(criterion["code"] as? String),
        "optionCode": try #require(lowest["code"] as? String),
      ])
    }
    let request: [String: Any] = [
      "kind": "ASSESSMENT_KIND_WORKPLACE",
      "units": [["unitName": "Xưởng chính", "answers": answers]],
    ]
    return String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
  }

  @Test("a district nominates, the province approves and issues, the district hands out once")
  func nominateAndHandOut() async throws {
    let bed = try await Self.bed.value
    let admin = try bed.runner()
    _ = try admin.ok(["login", "admin", "--password-stdin"], input: Self.adminPassword + "\n")
    let province = try bed.runner()
    try Self.firstLogin(
      province,
      "officer.70.loop",
      try Self.oneTimePassword(
        in: try admin.ok([
          "accounts", "create", "officer.70.loop", "--role", "province", "--province", "70",
        ])
      ),
      "Bình-Phước-vòng-2021!"
    )
    let district = try bed.runner()
    try Self.firstLogin(
      district,
      "phurieng.70",
      try Self.oneTimePassword(
        in: try admin.ok([
          "accounts", "create", "phurieng.70", "--role", "district", "--province", "70",
          "--district", "698",
        ])
      ),
      "Phú-Riềng-2021!"
    )

    let csv = """
      name,tax_code,district_code,address,worker_count
      Cơ sở điều Long Hà,3801700001,698,Long Hà,60
      Xưởng gỗ Bù Nho,3801700002,698,Bù Nho,25
      Ngoài huyện,3801700003,689,,10
      """
    try Data(csv.utf8).write(to: URL(fileURLWithPath: district.path("nominations.csv")))
    let added = try district.ok(["nominations", "add", district.path("nominations.csv")])
    #expect(added.contains("2 nominated, 0 already nominated, 1 rejected."), "\(added)")
    #expect(added.contains("line 4: facility.district_code: outside your district 698"))

    let listed = try province.ok(["nominations", "list", "--state", "submitted", "--format", "csv"])
    let ids = listed.split(separator: "\n").dropFirst().map { String($0.prefix(36)) }
    #expect(ids.count == 2, "\(listed)")
    let reviewed = try province.ok(["nominations", "review", "--approve"] + ids)
    #expect(reviewed.components(separatedBy: "approved").count == 3, "\(reviewed)")
    let issued = try province.ok(["facilities", "issue", "--approved-nominations"])
    #expect(issued.contains(": 2 issued"), "\(issued)")
    #expect(issued.contains("await hand-out"))

    let awaiting = try district.ok(["credentials", "list", "--status", "awaiting"])
    #expect(awaiting.contains("3801700001") && awaiting.contains("3801700002"))
    let handed = try district.ok([
      "credentials", "hand-out", "--all-awaiting", "--output", district.path("tai-khoan.csv"),
    ])
    #expect(handed.contains("2 credentials written"), "\(handed)")
    let attributes = try FileManager.default.attributesOfItem(
      atPath: district.path("tai-khoan.csv")
    )
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    #expect(
      try district.ok([
        "credentials", "hand-out", "--all-awaiting", "--output", district.path("again.csv"),
      ]).contains("No facility awaits hand-out.")
    )
    // The facility signs in with its line of the sheet.
    let sheet = try String(contentsOfFile: district.path("tai-khoan.csv"), encoding: .utf8)
    let line = try #require(sheet.split(separator: "\n").first { $0.contains("3801700001") })
    let cells = line.split(separator: ",")
    let facility = try bed.runner()
    let login = try facility.ok(
      ["login", String(cells[3]), "--password-stdin"],
      input: cells[4] + "\n"
    )
    #expect(login.contains("one-time password"))
    let summary = try province.ok(["credentials", "summary"])
    #expect(summary.contains("Phú Riềng"), "\(summary)")
  }

  @Test("an expired access token is refreshed before the call, and the new pair kept")
  func refreshesExpiredTokens() async throws {
    let cli = try await Self.bed.value.runner()
    _ = try cli.ok(["login", "admin", "--password-stdin"], input: Self.adminPassword + "\n")
    let url = URL(fileURLWithPath: cli.sessionFile)
    var session = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
    )
    let (access, refresh) = (session["accessToken"] as? String, session["refreshToken"] as? String)
    session["accessTokenExpiry"] = "2000-01-01T00:00:00Z"
    try JSONSerialization.data(withJSONObject: session).write(to: url)

    #expect(try cli.ok(["whoami"]).hasPrefix("admin: ministry admin"))
    let renewed = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
    )
    #expect(renewed["accessToken"] as? String != access)
    #expect(renewed["refreshToken"] as? String != refresh, "refresh tokens are single use")
    #expect((renewed["accessTokenExpiry"] as? String ?? "") > "2026")
    let attributes = try FileManager.default.attributesOfItem(atPath: cli.sessionFile)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
  }

  @Test("an unreachable service is one line saying where it was looked for")
  func unreachable() async throws {
    let cli = try await Self.bed.value.runner()
    let result = try cli.run(["--help"])
    #expect(result.status == 0)
    _ = try cli.ok(["login", "admin", "--password-stdin"], input: Self.adminPassword + "\n")
    let port = try FreePort.find()
    let refused = try cli.run(["report", "national", "--reporting", "127.0.0.1:\(port)"])
    #expect(refused.status != 0)
    #expect(
      refused.error
        == "Error: cannot reach reporting-service at 127.0.0.1:\(port): is it running? "
        + "(set --reporting or SAFEMAP_REPORTING_SERVICE)\n"
    )
    let bad = try cli.run(["report", "summary", "--as-of", "yesterday"])
    #expect(bad.status != 0)
    #expect(bad.error.hasPrefix("Error: --as-of must be a date"))
  }

  @Test(
    "every command's help has an example",
    arguments: [
      ["login"], ["logout"], ["whoami"], ["passwd"], ["facilities", "issue"],
      ["facilities", "list"], ["facilities", "show"], ["facilities", "register"],
      ["facilities", "status"], ["zones", "list"], ["zones", "create"], ["accounts", "create"],
      ["accounts", "list"], ["accounts", "reset"], ["accounts", "disable"],
      ["assess", "catalogue"], ["assess", "submit"], ["assess", "history"], ["assess", "status"],
      ["report", "summary"], ["report", "national"], ["report", "list"], ["report", "export"],
      ["report", "campaign"], ["report", "trend"], ["campaign", "create"], ["campaign", "list"],
      ["campaign", "units"], ["campaign", "submit"], ["campaign", "review"], ["report", "letter"],
    ]
  )
  func helpHasExamples(command: [String]) async throws {
    let cli = try CLIRunner(account: 1, assessment: 2, reporting: 3)
    let help = try cli.ok(command + ["--help"])
    #expect(help.contains("Example"), "safemap \(command.joined(separator: " ")) --help")
    #expect(help.contains("safemap \(command.joined(separator: " "))"))
  }
}
