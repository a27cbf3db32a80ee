import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import NIOCore
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// The public map, for anyone without signing in: `/` (the page, with the counts per
/// district as a table, which is also how a screen reader reads the map) and
/// `/api/public-map` (the points the page's script draws).
struct PublicMapPages {
  let site: Site
  let cache: PublicMapCache

  init(site: Site) {
    self.site = site
    cache = PublicMapCache(
      ttl: .milliseconds(Int64(site.configuration.publicMapCacheSeconds * 1000)),
      budget: site.configuration.publicMapCacheBytes
    )
  }

  func register(_ routes: Routes) {
    routes.open.get("/") { request, context in try await page(request, context) }
    routes.open.get("/api/public-map") { request, context in try await points(request, context) }
  }

  /// A province and the levels chosen (none: every level).
  struct Key {
    var province: String
    var levels: [Int]
  }

  /// Province and levels from the query; unknown values are refused, naming the parameter.
  private func key(_ request: Request) throws -> Key {
    let query = request.uri.queryParameters
    let province = query["province"].map(String.init) ?? site.configuration.defaultProvince
    guard Tenant.province(province) != nil else {
      throw WebError.badRequest("province: mã tỉnh gồm hai chữ số, ví dụ 74.")
    }
    var levels: [Int] = []
    for value in query.getAll("level") {
      guard let level = Vietnamese.level(key: String(value)) else {
        throw WebError.badRequest("level: không có mức \(value).")
      }
      levels.append(level.rawValue)
    }
    return .init(province: province, levels: Array(Set(levels)).sorted())
  }

  /// The province's whole map (a level filter is cut from it), from the cache or one read.
  /// The browser's address goes along: reporting-service holds each client to its rate.
  private func map(_ province: String, context: WebContext) async throws -> PublicMap {
    let reports = site.backend.reports
    let metadata = Backend.metadata(token: nil, client: context.clientAddress)
    return try await cache.map(province) {
      let response = try await reports.getPublicMap(
        .with { $0.provinceCode = province },
        metadata: metadata
      )
      return try PublicMap(response: response, province: province)
    }
  }

  struct MapPage {
    var chrome: Chrome
    var provinces: [ProvinceOption]
    var province: String
    var provinceName: String
    var levels: [LevelOption]
    var query: String
    var tileURL: String
    var tileAttribution: String
    var totals: [LevelCount]
    var total: String
    var districts: [DistrictRow]
    var asOf: String
    var truncated: Bool
  }

  struct ProvinceOption {
    var code: String
    var name: String
    var selected: Bool
  }

  struct LevelOption {
    var key: String
    var name: String
    var cssClass: String
    var letter: String
    var checked: Bool
  }

  struct LevelCount {
    var name: String
    var cssClass: String
    var letter: String
    var count: String
  }

  struct DistrictRow {
    var code: String
    var name: String
    var safe: String
    var atRisk: String
    var unsafe: String
    var overdue: String
    var notAssessed: String
    var total: String
  }

  func page(_ request: Request, _ context: WebContext) async throws -> Response {
    let key = try key(request)
    let all = try await site.provinces.all()
    guard let province = all.first(where: { $0.code == key.province }) else {
      throw WebError.notFound("Không có tỉnh mã \(key.province).")
    }
    let map = try await map(key.province, context: context).summary
    let counts = map.districtCounts
    let districts = counts.map { d in
      DistrictRow(
        code: d.districtCode,
        name: d.districtName,
        safe: VietnamNumber.text(d.safe),
        atRisk: VietnamNumber.text(d.atRisk),
        unsafe: VietnamNumber.text(d.unsafe),
        overdue: VietnamNumber.text(d.overdue),
        notAssessed: VietnamNumber.text(d.notAssessed),
        total: VietnamNumber.text(d.safe + d.atRisk + d.unsafe + d.overdue + d.notAssessed)
      )
    }
    let sums = [
      counts.reduce(0) { $0 + Int($1.safe) }, counts.reduce(0) { $0 + Int($1.atRisk) },
      counts.reduce(0) { $0 + Int($1.unsafe) }, counts.reduce(0) { $0 + Int($1.overdue) },
      counts.reduce(0) { $0 + Int($1.notAssessed) },
    ]
    let chosen = Set(key.levels)
    let query = FormEncoding.encode(
      [("province", key.province)]
        + Vietnamese.levels.filter { chosen.contains($0.mapLevel.rawValue) }.map {
          ("level", $0.key)
        }
    )
    return site.templates.page(
      "map",
      MapPage(
        chrome: Chrome(title: "Bản đồ \(province.name)", session: context.session),
        provinces: all.map {
          ProvinceOption(code: $0.code, name: $0.name, selected: $0.code == key.province)
        },
        province: key.province,
        provinceName: province.name,
        levels: Vietnamese.levels.map { level in
          LevelOption(
            key: level.key,
            name: level.name,
            cssClass: level.cssClass,
            letter: level.letter,
            checked: chosen.isEmpty || chosen.contains(level.mapLevel.rawValue)
          )
        },
        query: query,
        tileURL: site.configuration.tileURL,
        tileAttribution: site.configuration.tileAttribution,
        totals: zip(Vietnamese.levels, sums).map {
          LevelCount(
            name: $0.name,
            cssClass: $0.cssClass,
            letter: $0.letter,
            count: VietnamNumber.text($1)
          )
        },
        total: VietnamNumber.text(sums.reduce(0, +)),
        districts: districts,
        asOf: VietnamTime.text(map.asOfTime.date),
        truncated: map.truncated
      )
    )
  }

  /// `{"province", "asOf", "truncated", "districts": {code: name}, "points": [[latitude,
  /// longitude, level, district, name, last assessment date], …]}`: arrays, not objects, so
  /// the largest province stays a few megabytes.
  func points(_ request: Request, _ context: WebContext) async throws -> Response {
    let key = try key(request)
    let map = try await map(key.province, context: context)
    var headers: HTTPFields = [
      .contentType: "application/json; charset=utf-8",
      .cacheControl: "public, max-age=\(Int(site.configuration.publicMapCacheSeconds))",
      .vary: "Accept-Encoding",
    ]
    let gzip = request.headers[values: .acceptEncoding].contains { $0.contains("gzip") }
    if gzip { headers[.contentEncoding] = "gzip" }
    let body = try map.body(levels: Set(key.levels), gzip: gzip)
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
  }
}

/// The JSON of ``PublicMapPages/points(_:_:)``, in two parts that ``PublicMap`` joins: the
/// head (province, time, truncation, district names) and the points, each an array
/// `[latitude, longitude, level, district, name, last assessment date]`.
struct PublicMapJSON: Encodable {
  let map: Safemap_Reporting_V1_GetPublicMapResponse
  let province: String
  /// Without the points, the object is the head that ``PublicMap`` appends them to.
  var withPoints = true

  enum CodingKeys: String, CodingKey {
    case province, asOf, truncated, districts, points
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(province, forKey: .province)
    try container.encode(VietnamTime.text(map.asOfTime.date), forKey: .asOf)
    try container.encode(map.truncated, forKey: .truncated)
    try container.encode(
      Dictionary(map.districtCounts.map { ($0.districtCode, $0.districtName) }) { a, _ in a },
      forKey: .districts
    )
    if withPoints { try container.encode(Points(points: map.points), forKey: .points) }
  }

  struct Points: Encodable {
    let points: [Safemap_Reporting_V1_PublicMapPoint]

    func encode(to encoder: any Encoder) throws {
      var points = encoder.unkeyedContainer()
      for point in self.points {
        var row = points.nestedUnkeyedContainer()
        try row.encode(point.location.latitude)
        try row.encode(point.location.longitude)
        try row.encode(Vietnamese.level(point.mapLevel).key)
        try row.encode(point.districtCode)
        try row.encode(point.name)
        try row.encode(point.lastAssessmentDate)
      }
    }
  }
}
