import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapClient
import SafeMapRuntime
import SafeMapSheets
import Testing

@testable import SafeMapCLI

@Suite("safemap's parts: tables, the facilities file, instants, progress")
struct CLIUnitTests {
  @Test("a table's lines are as wide whether names arrive composed or decomposed")
  func vietnameseAlignment() {
    var table = Table([.text("name"), .number("issued")])
    table.append(["Thành phố Đồng Xoài", "12"])
    // "Bù Gia Mập" typed on a Mac: every diacritic a combining mark of its own.
    table.append(["Huyện Bù Gia Mập".decomposedStringWithCanonicalMapping, "7"])
    table.append(["TOTAL", "19"])
    let lines = table.aligned().split(separator: "\n")
    #expect(lines.count == 7)
    #expect(Set(lines.map(\.count)).count == 1, "\(table.aligned())")
    #expect(lines.contains { $0.contains("Huyện Bù Gia Mập") })
    #expect(lines.contains { $0.hasSuffix("|      7 |") }, "numbers to the right")
  }

  @Test("CSV output quotes commas, quotes and newlines")
  func csvQuoting() throws {
    var table = Table([.text("name"), .text("address")])
    table.append(["Công ty \"An Phú\"", "12 Lê Lợi, Đồng Xoài\nBình Phước"])
    #expect(
      try table.csv()
        == "name,address\n\"Công ty \"\"An Phú\"\"\",\"12 Lê Lợi, Đồng Xoài\nBình Phước\"\n"
    )
  }

  @Test("the facilities file: columns by name, line numbers across quoted newlines, bad cells")
  func facilitiesFile() throws {
    let text = """
      \u{FEFF}Name,Tax_Code,district_code,worker_count,has_dormitory,latitude,longitude
      A,3800000011,689,10,có,11.5,106.9
      "B
      second line",3800000029,697,x,no,,
      C,3800000037,697,5,maybe,,
      D,3800000045,697,5,no,11.5,

      E,3800000053,689,,,,
      """
    let parsed = try FacilityCSV.parse(text, limit: 10)
    #expect(parsed.rows.map(\.line) == [2, 8])
    #expect(parsed.rows[0].facility.hasDormitory_p)
    #expect(parsed.rows[0].facility.location.latitude == 11.5)
    #expect(
      parsed.rejected == [
        .init(line: 3, reason: "worker_count: \"x\" is not a whole number"),
        .init(line: 5, reason: "has_dormitory: \"maybe\" is not yes or no"),
        .init(line: 6, reason: "latitude and longitude go together"),
      ]
    )
    #expect(throws: FacilityCSV.Problem.self) {
      try FacilityCSV.parse("name,tax\nA,1\n", limit: 10)
    }
    #expect(throws: FacilityCSV.Problem.self) {
      try FacilityCSV.parse("name,district_code\nA,1\n", limit: 10)
    }
    let tooMany =
      "name,tax_code,district_code\n" + String(repeating: "A,3800000011,689\n", count: 3)
    #expect(throws: FacilityCSV.Problem.self) { try FacilityCSV.parse(tooMany, limit: 2) }
  }

  @Test("a date means the end of that day in Vietnam; an instant is itself")
  func instants() throws {
    let endOfDay = try Instant.parse("2021-08-20", option: "as-of")
    #expect(endOfDay == Date(timeIntervalSince1970: 1_629_478_800))  // 2021-08-20T17:00Z
    let start = try Instant.startOfDay("2021-08-20", option: "from")
    #expect(start == Date(timeIntervalSince1970: 1_629_392_400))  // 2021-08-19T17:00Z
    #expect(
      try Instant.parse("2021-08-20T08:00:00+07:00", option: "as-of")
        == Date(timeIntervalSince1970: 1_629_421_200)
    )
    #expect(throws: CLIFailure.self) { try Instant.parse("20/08/2021", option: "as-of") }
  }

  @Test("the progress bar fills with the work done")
  func progressBar() {
    #expect(
      Progress.bar(done: 0, total: 10, label: "rows", width: 10) == "[..........]   0%  0/10 rows"
    )
    #expect(
      Progress.bar(done: 5, total: 10, label: "rows", width: 10) == "[#####.....]  50%  5/10 rows"
    )
    #expect(
      Progress.bar(done: 10, total: 10, label: "rows", width: 10) == "[##########] 100%  10/10 rows"
    )
    #expect(Progress.bar(done: 3, total: 0, label: "rows") == "3 rows")
  }

  @Test("refusals read as what to do, not as gRPC statuses")
  func failures() throws {
    let endpoint = try Endpoint(
      service: "reporting-service",
      option: "reporting",
      variable: "SAFEMAP_REPORTING_SERVICE",
      value: nil,
      defaultPort: 50053,
      tls: .init()
    )
    #expect(endpoint.address.description == "127.0.0.1:50053")
    func line(_ code: RPCError.Code, _ message: String, login: Bool = false) -> String {
      CLIFailure(RPCError(code: code, message: message), calling: endpoint, login: login)
        .description
    }
    #expect(line(.unauthenticated, "bad password", login: true) == "wrong username or password")
    #expect(
      line(.unauthenticated, "token expired")
        == "not signed in, or the session has ended: run `safemap login`"
    )
    #expect(
      line(.permissionDenied, "province 25 is not yours") == "not allowed: province 25 is not yours"
    )
    #expect(
      line(.invalidArgument, "facility.tax_code: must be 10 digits")
        == "facility.tax_code: must be 10 digits"
    )
    #expect(
      line(.unavailable, "Could not establish a connection to 127.0.0.1:50053.")
        == "cannot reach reporting-service at 127.0.0.1:50053: is it running? (set --reporting or SAFEMAP_REPORTING_SERVICE)"
    )
    #expect(throws: CLIFailure.self) {
      try Endpoint(
        service: "s",
        option: "reporting",
        variable: "V",
        value: "no-port",
        defaultPort: 1,
        tls: .init()
      )
    }
  }

  @Test("a session file in a folder of one's own tightens it; a shared sticky folder is left open")
  func sessionFolders() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID())").path
    let own = base + "/own"
    let shared = base + "/shared"
    for folder in [own, shared] {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    chmod(own, 0o755)
    chmod(shared, 0o1777)
    defer { try? FileManager.default.removeItem(atPath: base) }
    func mode(_ path: String) throws -> Int {
      try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1
    }
    try SessionStore.writePrivately(Data("{}".utf8), to: own + "/session.json")
    #expect(try mode(own) == 0o700)
    try SessionStore.writePrivately(Data("{}".utf8), to: shared + "/session.json")
    #expect(try mode(shared) & 0o777 == 0o777, "/tmp-like folders stay open to everyone")
    #expect(try mode(shared + "/session.json") == 0o600)
  }
}
