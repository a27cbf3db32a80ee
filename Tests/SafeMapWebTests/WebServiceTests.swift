import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapCore
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Testing

/// web-service over real HTTP, in front of the three real services with a small national demo:
/// what the public, an official and a facility see, and what they are refused.
@Suite("web-service", .serialized)
struct WebServiceTests {
  static let province = "74"

  /// Province 74 now, as reporting-service counts it for the ministry.
  static func summary(_ bed: WebTestBed) async throws
    -> Safemap_Reporting_V1_GetProvinceSummaryResponse
  {
    let ministry = try await bed.token("admin", WebTestBed.adminPassword)
    return try await withLocalClient(port: bed.reporting.port) { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client).getProvinceSummary(
        .with {
          $0.provinceCode = province
          $0.grouping = .zoneLocation
        },
        metadata: ministry
      )
    }
  }

  @Test("the public map: every active facility of the province, public fields only, no login")
  func publicMap() async throws {
    let bed = try await WebTestBed.shared.value
    let client = WebClient(port: bed.webPort)
    let total = try await Self.summary(bed).total

    let page = try await client.get("/?province=74")
    #expect(page.status == 200)
    #expect(page.text.contains("Bản đồ an toàn COVID-19: Bình Dương"))
    #expect(page.text.contains("/vendor/leaflet/leaflet.js"))
    #expect(!page.text.contains("<script>"), "no inline script")
    let policy = try #require(page.header("Content-Security-Policy"))
    #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
    #expect(page.header("Referrer-Policy") == "same-origin")
    #expect(page.text.contains("\(total.active) cơ sở đang hoạt động"))

    let data = try await client.get(
      "/api/public-map?province=74",
      headers: ["Accept-Encoding": "gzip"]
    )
    #expect(data.status == 200)
    #expect(data.header("Content-Encoding") == "gzip", "a phone downloads a sixth of the JSON")
    let json = try #require(JSONSerialization.jsonObject(with: data.body) as? [String: Any])
    let points = try #require(json["points"] as? [[Any]])
    #expect(points.count == Int(total.active), "every active facility has a point")
    var levels: [String: Int] = [:]
    for point in points {
      #expect(point.count == 6, "latitude, longitude, level, district, name, date: nothing more")
      levels[point[2] as? String ?? "", default: 0] += 1
    }
    #expect(levels["SAFE", default: 0] == Int(total.safe))
    #expect(levels["AT_RISK", default: 0] == Int(total.atRisk))
    #expect(levels["UNSAFE", default: 0] == Int(total.unsafe))
    #expect(levels["OVERDUE", default: 0] == Int(total.overdue))
    #expect(levels["NOT_ASSESSED", default: 0] == Int(total.neverAssessed))
    #expect(!data.text.contains("@"), "no e-mail address in the public data")

    let filtered = try await client.get("/api/public-map?province=74&level=UNSAFE")
    let unsafe = try #require(
      (JSONSerialization.jsonObject(with: filtered.body) as? [String: Any])?["points"] as? [[Any]]
    )
    #expect(unsafe.count == Int(total.unsafe))

    let bad = try await client.get("/api/public-map?province=7x")
    #expect(bad.status == 400)
    #expect(bad.text.contains("province"))
    let unknown = try await client.get("/?province=99")
    #expect(unknown.status == 404)
    #expect(unknown.text.contains("Không"), "the error page is in Vietnamese")
  }

  @Test("an officer signs in, reads R1 with the service's figures, lists and exports R4 as CSV")
  func officerReports() async throws {
    let bed = try await WebTestBed.shared.value
    let client = WebClient(port: bed.webPort)
    let landed = try await bed.signIn(client, WebTestBed.officer, WebTestBed.officerPassword)
    #expect(landed.status == 302)
    #expect(landed.header("Location") == "/dashboard")
    let cookie = try #require(landed.header("Set-Cookie"))
    #expect(cookie.contains("safemap_session="))
    #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))

    let summary = try await Self.summary(bed)
    let dashboard = try await client.get("/dashboard")
    #expect(dashboard.status == 200)
    // The province by its name, not its code.
    #expect(dashboard.text.contains("Báo cáo tình hình tự đánh giá: Bình Dương"))
    let total = summary.total
    let expected =
      "<tr class=\"total\" data-key=\"TOTAL\"><th scope=\"row\">Tổng cộng</th><td>\(total.issued)</td>"
      + "<td>\(total.stopped)</td><td>\(total.active)</td><td>\(total.assessed)</td>"
      + "<td>\(total.safe)</td><td>\(total.atRisk)</td><td>\(total.unsafe)</td>"
    #expect(dashboard.text.contains(expected), "R1's total row in the seed's column order")
    #expect(!dashboard.text.contains("(không khớp)"), "every invariant holds")
    let inside = try #require(summary.rows.first { $0.groupKey == "INSIDE" })
    #expect(dashboard.text.contains("<td>\(inside.issued)</td>"))

    let past = try await client.get("/dashboard?as_of=2020-01-01T00:00")
    #expect(past.status == 200)
    #expect(past.text.contains("<td>0</td>"), "nothing was issued before 2020")
    let badDate = try await client.get("/dashboard?as_of=yesterday")
    #expect(badDate.status == 400 && badDate.text.contains("as_of"))

    let list = try await client.get("/lists?kind=r4")
    #expect(list.status == 200)
    let r4 = Int(total.overdue + total.neverAssessed)
    #expect(list.text.contains("trong \(r4) cơ sở"))

    let csv = try await client.get("/lists/export.csv?kind=r4")
    #expect(csv.status == 200)
    #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
    #expect(Array(csv.body.prefix(3)) == [0xEF, 0xBB, 0xBF], "a byte-order mark for Excel")
    let lines = csv.text.dropFirst().split(separator: "\r\n", omittingEmptySubsequences: true)
    #expect(lines.first?.hasPrefix("Tên cơ sở,Mã số thuế") == true)
    #expect(lines.count == r4 + 1, "a header and every R4 facility")

    let out = try await client.post("/logout", form: [("csrf", dashboard.csrf ?? "")])
    #expect(out.status == 302)
    // Signed out, every page behind a sign-in sends the browser to sign in.
    for path in [
      "/dashboard", "/lists?kind=r4", "/campaigns", "/issue", "/trend", "/password",
      "/facility", "/assess?kind=workplace",
    ] {
      let after = try await client.get(path)
      #expect(after.status == 303 || after.status == 302, "\(path)")
      #expect(after.header("Location")?.hasPrefix("/login") == true, "\(path)")
    }
  }

  @Test("the ministry sees every province (R6), each opening its own R1")
  func ministry() async throws {
    let bed = try await WebTestBed.shared.value
    let client = WebClient(port: bed.webPort)
    try await bed.signIn(client, "admin", WebTestBed.adminPassword)
    let national = try await client.get("/dashboard")
    #expect(national.status == 200)
    #expect(national.text.contains("toàn quốc"))
    #expect(national.text.components(separatedBy: "<a href=\"/dashboard?province=").count - 1 == 63)
    #expect(!national.text.contains("(không khớp)"))
    let province = try await client.get("/dashboard?province=74")
    #expect(province.status == 200 && province.text.contains("tự đánh giá: Bình Dương"))
    #expect(try await client.get("/trend").status == 200, "the national trend")
    #expect(try await client.get("/campaigns").status == 400, "campaigns are per province")
    #expect(try await client.get("/campaigns?province=74").status == 200)
  }

  @Test("a form without its CSRF token is refused, signed in or not")
  func csrf() async throws {
    let bed = try await WebTestBed.shared.value
    let client = WebClient(port: bed.webPort)
    _ = try await client.get("/login")
    let forged = try await client.post(
      "/login",
      form: [("username", WebTestBed.officer), ("password", WebTestBed.officerPassword)]
    )
    #expect(forged.status == 403)
    #expect(forged.header("Set-Cookie")?.contains("safemap_session") != true)
    try await bed.signIn(client, WebTestBed.officer, WebTestBed.officerPassword)
    let firstSession = try #require(client.cookies["safemap_session"])
    // Signing in again from a signed-in browser works and replaces the session.
    try await bed.signIn(client, WebTestBed.officer, WebTestBed.officerPassword)
    let secondSession = try #require(client.cookies["safemap_session"])
    #expect(firstSession != secondSession)
    let stale = WebClient(port: bed.webPort)
    stale.setCookie("safemap_session", firstSession)
    #expect(
      try await stale.get("/dashboard").header("Location")?.hasPrefix("/login") == true,
      "the replaced session is gone"
    )
    let noToken = try await client.post("/logout", form: [])
    #expect(noToken.status == 403)
    let wrongToken = try await client.post("/logout", form: [("csrf", "not-the-token")])
    #expect(wrongToken.status == 403)
    #expect(try await client.get("/dashboard").status == 200, "still signed in")
  }

  @Test("a first login goes to the password change, and a district officer sees only its district")
  func districtOfficer() async throws {
    let bed = try await WebTestBed.shared.value
    let officer = try await bed.token(WebTestBed.officer, WebTestBed.officerPassword)
    let created = try await bed.newDistrictOfficer(officer)
    let facilities = try await bed.facilities(officer)
    let own = try #require(facilities.first { $0.districtCode == "718" })
    let other = try #require(facilities.first { $0.districtCode != "718" })

    let client = WebClient(port: bed.webPort)
    let first = try await bed.signIn(client, created.account.username, created.initialPassword)
    #expect(first.header("Location") == "/password")
    #expect(try await client.get("/dashboard").header("Location") == "/password")
    let form = try await client.get("/password")
    #expect(form.text.contains("mật khẩu một lần"))
    let weak = try await client.post(
      "/password",
      form: [
        ("csrf", form.csrf ?? ""), ("current_password", created.initialPassword),
        ("new_password", "password"), ("confirm_password", "password"),
      ]
    )
    #expect(weak.status == 400)
    let changed = try await client.post(
      "/password",
      form: [
        ("csrf", form.csrf ?? ""), ("current_password", created.initialPassword),
        ("new_password", "Thủ-Dầu-Một-2021"), ("confirm_password", "Thủ-Dầu-Một-2021"),
      ]
    )
    #expect(changed.status == 302)
    #expect(changed.header("Location") == "/dashboard")

    let mine = try await client.get("/facilities/\(own.facilityID)")
    #expect(mine.status == 200)
    #expect(mine.text.contains(own.name.replacingOccurrences(of: "&", with: "&amp;")))
    let theirs = try await client.get("/facilities/\(other.facilityID)")
    #expect(theirs.status == 403 || theirs.status == 404, "\(theirs.status)")
    #expect(!theirs.text.contains(other.taxCode), "nothing of the other district's facility")
    let dashboard = try await client.get("/dashboard")
    #expect(dashboard.status == 200)
    #expect(!dashboard.text.contains("data-key=\"719\""), "no other district's row")
  }

  @Test("a facility signs in, changes its password, assesses, and its point changes colour")
  func facilityAssesses() async throws {
    let bed = try await WebTestBed.shared.value
    let officer = try await bed.token(WebTestBed.officer, WebTestBed.officerPassword)
    let (facility, oneTime, catalogue) = try await bed.facilityToAssess(officer)

    let client = WebClient(port: bed.webPort)
    let first = try await bed.signIn(client, facility.username, oneTime)
    #expect(first.header("Location") == "/password")
    let passwordForm = try await client.get("/password")
    let changed = try await client.post(
      "/password",
      form: [
        ("csrf", passwordForm.csrf ?? ""), ("current_password", oneTime),
        ("new_password", "Nhà-máy-an-toàn-2021"), ("confirm_password", "Nhà-máy-an-toàn-2021"),
      ]
    )
    #expect(changed.header("Location") == "/facility")
    #expect(
      try await client.get("/facility").header("Location") == "/facilities/\(facility.facilityID)"
    )
    let own = try await client.get("/facilities/\(facility.facilityID)")
    #expect(own.status == 200 && own.text.contains("Tự đánh giá nơi làm việc"))
    // Every officials' page is closed to a facility, whichever group it registered in.
    for path in ["/dashboard", "/lists?kind=r5", "/campaigns", "/issue", "/trend"] {
      #expect(try await client.get(path).status == 403, "\(path) is for officials")
    }

    let form = try await client.get("/assess?kind=workplace")
    #expect(form.status == 200)
    let answered = catalogue.criteria.filter { $0.profileSource == .unspecified }
    for criterion in answered {
      #expect(form.text.contains("name=\"unit0_\(criterion.code)\""), "\(criterion.code)")
    }
    let requestID = try #require(
      form.text.range(of: "name=\"request_id\" value=\"").map { range in
        String(form.text[range.upperBound...].prefix { $0 != "\"" })
      }
    )
    let base = [
      ("csrf", form.csrf ?? ""), ("kind", "workplace"), ("units", "1"),
      ("request_id", requestID), ("unit0_name", "Xưởng 1"),
    ]
    // Nothing chosen: the service's violations come back beside every criterion.
    let refused = try await client.post("/assess", form: base)
    #expect(refused.status == 400)
    #expect(
      refused.text.components(separatedBy: "class=\"problem field-error\"").count - 1
        == answered.count
    )
    #expect(refused.text.contains("Chưa chọn."))

    let worst = answered.map { criterion in
      ("unit0_\(criterion.code)", criterion.options.max { $0.points < $1.points }!.code)
    }
    let refusedPage = try #require(
      refused.text.range(of: "name=\"request_id\" value=\"").map { range in
        String(refused.text[range.upperBound...].prefix { $0 != "\"" })
      }
    )
    var filled = base
    filled[3] = ("request_id", refusedPage)
    let submitted = try await client.post("/assess", form: filled + worst)
    #expect(submitted.status == 302)
    let location = try #require(submitted.header("Location"))
    #expect(location.hasPrefix("/assessments/"))
    let result = try await client.get(location)
    #expect(result.status == 200)
    #expect(result.text.contains("Không an toàn"))
    #expect(result.text.contains("id=\"top-criteria\""))

    let map = try await client.get("/api/public-map?province=74")
    let points = try #require(
      (JSONSerialization.jsonObject(with: map.body) as? [String: Any])?["points"] as? [[Any]]
    )
    let named = points.filter { ($0[4] as? String) == facility.name }
    let point = try #require(
      points.first {
        // Foundation's JSON reader may round the last digit differently.
        ($0[4] as? String) == facility.name
          && abs(($0[0] as? Double ?? 0) - facility.location.latitude) < 1e-9
          && abs(($0[1] as? Double ?? 0) - facility.location.longitude) < 1e-9
      },
      "\(named) \(facility.location)"
    )
    #expect(point[2] as? String == "UNSAFE")
    #expect((point[5] as? String)?.count == 10, "the date of the assessment")
  }

  @Test("an officer opens a campaign, follows who has not finished, reads the trend")
  func campaignsAndTrend() async throws {
    let bed = try await WebTestBed.shared.value
    let client = WebClient(port: bed.webPort)
    try await bed.signIn(client, WebTestBed.officer, WebTestBed.officerPassword)
    let list = try await client.get("/campaigns")
    #expect(list.status == 200)
    #expect(list.text.contains("id=\"campaign-list\""))
    let requestID = try #require(
      list.text.range(of: "name=\"request_id\" value=\"").map { range in
        String(list.text[range.upperBound...].prefix { $0 != "\"" })
      }
    )
    let noDeadline = try await client.post(
      "/campaigns",
      form: [("csrf", list.csrf ?? ""), ("request_id", requestID), ("title", "Đợt thử")]
    )
    #expect(noDeadline.status == 400 && noDeadline.text.contains("Hạn chót"))
    let created = try await client.post(
      "/campaigns",
      form: [
        ("csrf", list.csrf ?? ""), ("request_id", requestID), ("title", "Rà soát tháng 12"),
        ("deadline", "2030-12-31T17:00"), ("district", ""), ("description", ""),
      ]
    )
    #expect(created.status == 302)
    let location = try #require(created.header("Location"))
    let progress = try await client.get(location)
    #expect(progress.status == 200)
    #expect(progress.text.contains("Rà soát tháng 12"))
    let id = String(location.dropFirst("/campaigns/".count))
    let officer = try await bed.token(WebTestBed.officer, WebTestBed.officerPassword)
    let figures = try await withLocalClient(port: bed.reporting.port) { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .getCampaignProgress(
          .with {
            $0.provinceCode = Self.province
            $0.campaignID = id
          },
          metadata: officer
        )
    }
    #expect(
      progress.text.contains(
        "Đã hoàn thành \(figures.total.done)/\(figures.total.active) cơ sở"
      )
    )
    let notDone = try await client.get("/lists?kind=campaign&campaign=\(id)")
    #expect(notDone.text.contains("trong \(figures.total.notDone) cơ sở"))

    // Who has reported, the province's review, the printable letter.
    let units = try await client.get("/campaigns/\(id)/units")
    #expect(units.status == 200)
    let rate = try await withLocalClient(port: bed.reporting.port) { client in
      try await Safemap_Reporting_V1_ReportingService.Client(wrapping: client)
        .getReportingRate(.with { $0.campaignID = id }, metadata: officer)
    }
    #expect(units.text.contains("Đã gửi 0/\(rate.expected) đơn vị phải báo cáo"))
    #expect(units.text.contains("name=\"unit\" value=\"district:"))
    let unit = try #require(rate.units.first { $0.timeliness == .missing })
    let noUnit = try await client.post(
      "/campaigns/\(id)/review",
      form: [("csrf", units.csrf ?? ""), ("action", "ACCEPT")]
    )
    #expect(noUnit.status == 400 && noUnit.text.contains("ít nhất một đơn vị"))
    let notSubmitted = try await client.post(
      "/campaigns/\(id)/review",
      form: [
        ("csrf", units.csrf ?? ""), ("action", "RETURN"), ("reason", "Thiếu số liệu"),
        ("unit", "district:\(unit.unit.code)"),
      ]
    )
    #expect(notSubmitted.status == 400 || notSubmitted.status == 409)
    #expect(notSubmitted.text.contains("NOT_SUBMITTED"))
    let letter = try await client.get("/campaigns/\(id)/letter")
    #expect(letter.status == 200)
    #expect(letter.text.contains("Kính gửi: Ủy ban nhân dân tỉnh Bình Dương"))
    #expect(letter.text.contains("Đơn vị đã gửi báo cáo: 0/\(rate.expected) đơn vị"))
    #expect(try await client.get("/static/site.css").text.contains("size: A4"))
    // The annex follows the letter's sources: every district live here, so it holds R4's rows
    // (district by district rather than in R4's order).
    let annex = try await client.get("/campaigns/\(id)/letter/phu-luc-1.csv")
    #expect(annex.status == 200)
    #expect(annex.header("Content-Type")?.hasPrefix("text/csv") == true)
    let r4 = try await client.get("/lists/export.csv?kind=r4")
    #expect(
      annex.text.split(separator: "\r\n").sorted() == r4.text.split(separator: "\r\n").sorted()
    )
    #expect(try await client.get("/campaigns/\(id)/letter/phu-luc-3.csv").status == 404)

    let trend = try await client.get("/trend")
    #expect(trend.status == 200)
    #expect(trend.text.components(separatedBy: "<polyline class=\"line").count - 1 == 5)
    #expect(trend.text.contains("id=\"trend-table\""))
    #expect(try await client.get("/trend?from=someday").status == 400)
  }

  @Test("a province officer issues accounts from a CSV upload and downloads the sheet once")
  func issuance() async throws {
    let bed = try await WebTestBed.shared.value
    let client = WebClient(port: bed.webPort)
    try await bed.signIn(client, WebTestBed.officer, WebTestBed.officerPassword)
    let page = try await client.get("/issue")
    #expect(page.status == 200)
    let csrf = try #require(
      page.text.range(of: "data-csrf=\"").map { range in
        String(page.text[range.upperBound...].prefix { $0 != "\"" })
      }
    )
    let suffix = String(Int.random(in: 100...999))
    let csv = """
      name,tax_code,district_code,worker_count
      Xưởng thử A,3700000\(suffix),718,120
      Xưởng thử B,3700001\(suffix),718,x
      Xưởng thử C,3700002\(suffix),999,50

      """
    let refused = try await client.send(
      "POST",
      "/issue",
      body: Data(csv.utf8),
      headers: ["Content-Type": "text/csv"]
    )
    #expect(refused.status == 403, "no CSRF token")
    let issued = try await client.send(
      "POST",
      "/issue?note=th%E1%BB%AD&sheet=issuer",
      body: Data(csv.utf8),
      headers: ["Content-Type": "text/csv", "X-CSRF-Token": csrf]
    )
    #expect(issued.status == 200)
    let events = issued.text.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    let last = try #require(events.last)
    let summary = try #require(last["summary"] as? [String: Any])
    #expect(summary["issued"] as? Int == 1)
    #expect(summary["rejected"] as? Int == 2, "a bad number here, an unknown district there")
    let problems = try #require(last["problems"] as? [[String: Any]])
    #expect(problems.compactMap { $0["line"] as? Int } == [3, 4])
    let sheet = try #require(last["sheet"] as? String)
    let download = try await client.get(sheet)
    #expect(download.status == 200)
    #expect(Array(download.body.prefix(3)) == [0xEF, 0xBB, 0xBF])
    let rows = download.text.dropFirst().split(separator: "\r\n")
    #expect(rows.count == 2)
    #expect(rows.last?.contains("Xưởng thử A") == true)
    let again = try await client.get(sheet)
    #expect(again.status == 404, "the sheet downloads once")
  }

  @Test("the browser's address reaches account-service's audit log through the trusted proxies")
  func forwardedAddress() async throws {
    let bed = try await WebTestBed.shared.value
    let client = WebClient(port: bed.webPort)
    let form = try await client.get("/login")
    let signedIn = try await client.post(
      "/login",
      form: [
        ("csrf", form.csrf ?? ""), ("username", WebTestBed.officer),
        ("password", WebTestBed.officerPassword), ("next", ""),
      ],
      headers: ["X-Forwarded-For": "198.51.100.23, 203.0.113.7"]
    )
    #expect(signedIn.status == 302)
    // Sign-ins of an existing account are audited in its province (its officials see who
    // signs in as them); the web's are browser sessions opened at account-service.
    let ministry = try await bed.token("admin", WebTestBed.adminPassword)
    let events = try await withLocalClient(port: bed.account.port) { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client).listAuditEvents(
        .with {
          $0.provinceCode = "74"
          $0.pageSize = 1000
        },
        metadata: ministry
      ).events
    }
    let logins = events.filter {
      $0.action == "CreateWebSession" && $0.actorUsername == WebTestBed.officer
    }
    // The last hop the load balancer saw, not what the browser wrote before it.
    #expect(logins.contains { $0.clientAddress == "203.0.113.7" }, "\(logins.map(\.clientAddress))")
    #expect(!logins.contains { $0.clientAddress == "198.51.100.23" })
  }

  @Test("health and readiness")
  func health() async throws {
    let bed = try await WebTestBed.shared.value
    let client = WebClient(port: bed.webPort)
    #expect(try await client.get("/healthz").status == 200)
    let ready = try await client.get("/readyz")
    #expect(ready.status == 200, "\(ready.text)")
    #expect(try await client.get("/static/site.css").status == 200)
    #expect(try await client.get("/vendor/leaflet/leaflet.markercluster.js").status == 200)
    let missing = try await client.get("/no-such-page")
    #expect(missing.status == 404)
    #expect(missing.text.contains("Không tìm thấy"))
    let metrics = try await WebClient(port: bed.metricsPort).get("/metrics")
    #expect(metrics.status == 200)
    #expect(
      metrics.text.contains(#"http_requests_total{method="GET",route="/healthz",status="200"}"#),
      "\(metrics.text.prefix(2000))"
    )
    #expect(metrics.text.contains("http_request_duration_seconds_bucket"))
    #expect(metrics.text.contains("process_cpu_seconds_total"))
  }
}
