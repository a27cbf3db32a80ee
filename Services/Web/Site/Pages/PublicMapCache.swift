import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SwiftProtobuf

/// Recent public maps by province and levels, so a crowd opening the same province costs the
/// services one read per `ttl`; concurrent misses share one call. Bounded: past `capacity`
/// the oldest entries go.
actor PublicMapCache {
  struct Key: Hashable {
    var province: String
    var levels: [Int]
  }

  private struct Entry {
    var loaded: ContinuousClock.Instant
    var task: Task<Safemap_Reporting_V1_GetPublicMapResponse, any Error>
  }

  private var entries: [Key: Entry] = [:]
  let ttl: Duration
  let capacity = 512

  init(ttl: Duration) { self.ttl = ttl }

  func map(
    _ key: Key,
    load: @escaping @Sendable () async throws -> Safemap_Reporting_V1_GetPublicMapResponse
  ) async throws -> Safemap_Reporting_V1_GetPublicMapResponse {
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
