import CompressNIO
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import SafeMapAPI
import SwiftProtobuf

/// A province's public map as read, and as the page's script receives it, encoded once: for
/// the largest province 5.8 MB of JSON, about 0.9 MB gzipped (what a phone on a slow link
/// downloads), and tens of milliseconds of CPU.
struct PublicMap: Sendable {
  var response: Safemap_Reporting_V1_GetPublicMapResponse
  var json: ByteBuffer
  var gzipped: ByteBuffer

  init(response: Safemap_Reporting_V1_GetPublicMapResponse, province: String) throws {
    self.response = response
    var json = ByteBuffer(
      bytes: try JSONEncoder().encode(PublicMapJSON(map: response, province: province))
    )
    self.json = json
    // The fastest level: most of gzip's gain on this text at a fraction of its default's CPU.
    gzipped = try json.compress(with: .gzip, configuration: .init(compressionLevel: 1))
  }
}

/// Recent public maps by province and levels, so a crowd opening the same province costs the
/// services one read, and web-service one encoding, per `ttl`; concurrent misses share one
/// call. Bounded: past `capacity` the oldest entries go.
actor PublicMapCache {
  struct Key: Hashable {
    var province: String
    var levels: [Int]
  }

  private struct Entry {
    var loaded: ContinuousClock.Instant
    var task: Task<PublicMap, any Error>
  }

  private var entries: [Key: Entry] = [:]
  let ttl: Duration
  let capacity = 512

  init(ttl: Duration) { self.ttl = ttl }

  func map(
    _ key: Key,
    load: @escaping @Sendable () async throws -> PublicMap
  ) async throws -> PublicMap {
    let now = ContinuousClock.now
    if let entry = entries[key], now - entry.loaded < ttl {
      return try await entry.task.value
    }
    if entries.count >= capacity {
      entries = entries.filter { now - $0.value.loaded < ttl }
      while entries.count >= capacity,
        let oldest = entries.min(by: { $0.value.loaded < $1.value.loaded })
      {
        entries[oldest.key] = nil
      }
    }
    let task = Task { try await load() }
    entries[key] = Entry(loaded: now, task: task)
    do {
      return try await task.value
    } catch {
      entries[key] = nil
      throw error
    }
  }
}

/// The 63 provinces by code, from account-service's public reference data, read once.
actor ProvinceNames {
  private var names: [(code: String, name: String)] = []
  let facilities: Safemap_Account_V1_FacilityService.Client<HTTP2ClientTransport.Posix>

  init(facilities: Safemap_Account_V1_FacilityService.Client<HTTP2ClientTransport.Posix>) {
    self.facilities = facilities
  }

  func all() async throws -> [(code: String, name: String)] {
    if !names.isEmpty { return names }
    let response = try await facilities.listProvinces(.with { $0.pageSize = 100 })
    names = response.provinces.map { ($0.code, $0.name) }
    return names
  }
}
