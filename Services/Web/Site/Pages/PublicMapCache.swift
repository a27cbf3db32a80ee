import CompressNIO
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import SafeMapAPI
import SwiftProtobuf

/// A province's public map as the page's script receives it, encoded once: the JSON's head,
/// its points by level (so any level filter is the same map cut, never another read), and
/// the whole map gzipped. For the largest province: 5.8 MB of JSON, about 1.6 MB gzipped.
struct PublicMap: Sendable {
  /// The legend, the time and whether the points were cut; the points themselves are only
  /// kept encoded.
  var summary: Safemap_Reporting_V1_GetPublicMapResponse
  /// `{"province":…,"points":[`
  private var head: ByteBuffer
  /// Each level's points, comma-separated arrays, by `MapLevel` raw value.
  private var levels: [Int: ByteBuffer]
  /// The whole map's JSON, gzipped (what every browser without a filter gets).
  var gzipped: ByteBuffer

  init(response: Safemap_Reporting_V1_GetPublicMapResponse, province: String) throws {
    var summary = response
    summary.points = []
    self.summary = summary
    let encoder = JSONEncoder()
    var head = ByteBuffer(
      bytes: try encoder.encode(PublicMapJSON(map: summary, province: province, withPoints: false))
    )
    // `{…}` → `{…,"points":[`
    head.moveWriterIndex(to: head.writerIndex - 1)
    head.writeStaticString(#","points":["#)
    self.head = head
    var byLevel: [Int: [Safemap_Reporting_V1_PublicMapPoint]] = [:]
    for point in response.points { byLevel[point.mapLevel.rawValue, default: []].append(point) }
    levels = try byLevel.mapValues { points in
      var array = ByteBuffer(bytes: try encoder.encode(PublicMapJSON.Points(points: points)))
      // `[[…],[…]]` → `[…],[…]`
      array.moveReaderIndex(forwardBy: 1)
      array.moveWriterIndex(to: array.writerIndex - 1)
      return array
    }
    gzipped = ByteBuffer()
    var json = self.json(levels: [])
    // The fastest level: most of gzip's gain on this text at a fraction of its default's CPU.
    gzipped = try json.compress(with: .gzip, configuration: .init(compressionLevel: 1))
  }

  /// The JSON of the points at `chosen` levels (every level when empty).
  func json(levels chosen: Set<Int>) -> ByteBuffer {
    let parts = levels.keys.sorted().filter { chosen.isEmpty || chosen.contains($0) }
      .compactMap { levels[$0] }.filter { $0.readableBytes > 0 }
    var json = ByteBuffer()
    json.reserveCapacity(head.readableBytes + parts.reduce(2) { $0 + $1.readableBytes + 1 })
    json.writeImmutableBuffer(head)
    for (index, part) in parts.enumerated() {
      if index > 0 { json.writeStaticString(",") }
      json.writeImmutableBuffer(part)
    }
    json.writeStaticString("]}")
    return json
  }

  /// The response body for `chosen` levels (every level when empty). The whole map gzipped is
  /// kept; a filtered map is compressed as it is asked for (it is at most the whole map, and
  /// the anonymous rate bounds how often).
  func body(levels chosen: Set<Int>, gzip: Bool) throws -> ByteBuffer {
    if chosen.isEmpty && gzip { return gzipped }
    var json = json(levels: chosen)
    guard gzip else { return json }
    return try json.compress(with: .gzip, configuration: .init(compressionLevel: 1))
  }

  /// What the entry holds in memory.
  var byteCount: Int {
    head.capacity + gzipped.capacity + levels.values.reduce(0) { $0 + $1.capacity }
      + summary.districtCounts.count * 128
  }
}

/// Recent public maps by province, so a crowd opening a province costs the services one read,
/// and web-service one encoding, per `ttl`; concurrent misses share one call, and a level
/// filter cuts the province's one entry.
///
/// Bounded in bytes, not entries: past `budget` the oldest entries go, a map larger than the
/// whole budget is served but not kept, and an entry leaves when it expires, whether or not
/// anyone asks again.
actor PublicMapCache {
  private struct Entry {
    var loaded: ContinuousClock.Instant
    var task: Task<PublicMap, any Error>
    var generation: Int
    /// Known once loaded; 0 while loading.
    var bytes = 0
  }

  private var entries: [String: Entry] = [:]
  private var generation = 0
  /// Bytes held by loaded entries.
  private(set) var heldBytes = 0
  let ttl: Duration
  let budget: Int

  init(ttl: Duration, budget: Int) {
    self.ttl = ttl
    self.budget = budget
  }

  func map(
    _ province: String,
    load: @escaping @Sendable () async throws -> PublicMap
  ) async throws -> PublicMap {
    let now = ContinuousClock.now
    if let entry = entries[province], now - entry.loaded < ttl {
      return try await entry.task.value
    }
    remove(province)
    generation += 1
    let generation = self.generation
    let task = Task { try await load() }
    entries[province] = Entry(loaded: now, task: task, generation: generation)
    do {
      let map = try await task.value
      keep(province, generation: generation, bytes: map.byteCount)
      return map
    } catch {
      if entries[province]?.generation == generation { remove(province) }
      throw error
    }
  }

  /// Provinces held now (for tests).
  var provinces: [String] { entries.keys.sorted() }

  private func keep(_ province: String, generation: Int, bytes: Int) {
    guard entries[province]?.generation == generation, entries[province]?.bytes == 0 else {
      return
    }
    guard bytes <= budget else {
      remove(province)
      return
    }
    entries[province]?.bytes = bytes
    heldBytes += bytes
    while heldBytes > budget,
      let oldest = entries.filter({ $0.key != province && $0.value.bytes > 0 })
        .min(by: { $0.value.loaded < $1.value.loaded })
    {
      remove(oldest.key)
    }
    let ttl = self.ttl
    Task { [weak self] in
      try? await Task.sleep(for: ttl)
      await self?.expire(province, generation: generation)
    }
  }

  private func expire(_ province: String, generation: Int) {
    if entries[province]?.generation == generation { remove(province) }
  }

  private func remove(_ province: String) {
    guard let entry = entries.removeValue(forKey: province) else { return }
    heldBytes -= entry.bytes
  }
}

/// The 63 provinces by code, from account-service's public reference data, read once.
actor ProvinceNames {
  private var names: [(code: String, name: String)] = []
  let facilities: Safemap_Account_V1_FacilityService.Client<HTTP2ClientTransport.Posix>

  init(facilities: Safemap_Account_V1_FacilityService.Client<HTTP2ClientTransport.Posix>) {
    self.facilities = facilities
  }

  /// The name of province `code`; its code when the names cannot be read now (a page is not
  /// refused for want of a name).
  func name(_ code: String) async -> String {
    (try? await all())?.first { $0.code == code }?.name ?? code
  }

  func all() async throws -> [(code: String, name: String)] {
    if !names.isEmpty { return names }
    let response = try await facilities.listProvinces(.with { $0.pageSize = 100 })
    names = response.provinces.map { ($0.code, $0.name) }
    return names
  }
}
