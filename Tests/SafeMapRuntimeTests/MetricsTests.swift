import Foundation
import GRPCCore
import SafeMapAPI
import SafeMapClient
import SafeMapDatabase
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@testable import SafeMapMetrics
@testable import SafeMapRuntime

/// The Prometheus text a service serves on its metrics port, read as an operator's scraper
/// reads it: counters move by exactly the calls made, the pool and the process are there.
@Suite("Metrics")
struct MetricsTests {
  /// `name{labels} value` lines of a scrape.
  struct Scrape {
    let text: String

    /// The value of the one sample of `name` whose labels include every pair of `labels`
    /// (0 when there is none yet: a counter not yet incremented is not emitted).
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
      var total = 0.0
      for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " ") else { continue }
        let series = line[..<space]
        let metric = series.prefix { $0 != "{" }
        guard metric == name else { continue }
        let matches = labels.allSatisfy { series.contains("\($0.key)=\"\($0.value)\"") }
        if matches, let value = Double(line[line.index(after: space)...]) { total += value }
      }
      return total
    }
  }

  static func scrape(_ port: Int) async throws -> Scrape {
    let response = try await httpGet(port: port, path: "/metrics")
    #expect(response.hasPrefix("HTTP/1.1 200"))
    return Scrape(text: response)
  }

  @Test("calls started and handled move by the calls made, by method and code; pool and process")
  func countersMove() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    var configuration = TestServices.configuration(.account, cluster: cluster, database: database)
    let metricsPort = try FreePort.find()
    configuration.metricsPort = metricsPort
    let service = try await TestServices.start(.account, configuration: configuration)
    defer { Task { try? await service.stop() } }
    let method = ["grpc_service": "safemap.account.v1.FacilityService", "grpc_method": "ListZones"]
    let before = try await Self.scrape(metricsPort)

    let officer = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("25"))
    try await withLocalClient(port: service.port) { client in
      let facilities = Safemap_Account_V1_FacilityService.Client(wrapping: client)
      for _ in 0..<5 {
        _ = try await facilities.listZones(.init(), metadata: officer)
      }
      for _ in 0..<3 {
        await #expect(throws: RPCError.self) { _ = try await facilities.listZones(.init()) }
      }
    }
    let after = try await Self.scrape(metricsPort)

    func moved(_ name: String, _ labels: [String: String]) -> Double {
      after.value(name, labels) - before.value(name, labels)
    }
    #expect(moved("grpc_server_started_total", method) == 8)
    #expect(moved("grpc_server_handled_total", method.merging(["grpc_code": "OK"]) { $1 }) == 5)
    #expect(
      moved("grpc_server_handled_total", method.merging(["grpc_code": "UNAUTHENTICATED"]) { $1 })
        == 3
    )
    #expect(moved("grpc_server_handling_seconds_count", method) == 8)
    #expect(
      after.value("grpc_server_handling_seconds_bucket", method.merging(["le": "+Inf"]) { $1 }) >= 8
    )

    // Each authorised call leased a connection at least once; none is held or awaited now.
    #expect(moved("db_pool_acquisition_seconds_count", [:]) >= 5)
    #expect(after.value("db_pool_connections_in_use") == 0)
    #expect(after.value("db_pool_connections_waiting") == 0)
    #expect(after.value("db_pool_connections_open") >= 1)
    #expect(after.value("db_pool_connections_idle") == after.value("db_pool_connections_open"))
    #expect(
      after.value("db_pool_max_connections") == Double(configuration.database.maximumConnections)
    )

    #expect(after.value("process_cpu_seconds_total") > 0)
    #expect(after.value("process_resident_memory_bytes") > 1_000_000)
    #expect(after.value("process_open_fds") > 0)
    #expect(after.value("process_max_fds") >= after.value("process_open_fds"))
    let started = after.value("process_start_time_seconds")
    #expect(abs(started - Date().timeIntervalSince1970) < 24 * 3600)
  }

  @Test("/proc/self/stat: fields are counted after the command, which may hold ') '")
  func procStat() throws {
    // pid (comm) state, then fields 4…; utime 14 = 250 ticks, stime 15 = 50, start 22 = 1000,
    // vsize 23, rss 24 = 300 pages.
    var fields = (4...52).map(String.init)
    fields[14 - 4] = "250"
    fields[15 - 4] = "50"
    fields[22 - 4] = "1000"
    fields[23 - 4] = "123456789"
    fields[24 - 4] = "300"
    let text = "4242 (account (x) svc) S " + fields.joined(separator: " ") + "\n"
    let stat = try #require(
      ProcessMetrics.Stat.parse(text, ticksPerSecond: 100, pageSize: 4096, bootTime: 1_700_000_000)
    )
    #expect(stat.cpuSeconds == 3)
    #expect(stat.virtualBytes == 123_456_789)
    #expect(stat.residentBytes == 300 * 4096)
    #expect(stat.startTime == 1_700_000_010)
    #expect(
      ProcessMetrics.Stat.parse("4242 (cut", ticksPerSecond: 100, pageSize: 4096, bootTime: nil)
        == nil
    )
    #expect(
      ProcessMetrics.Stat.bootTime(procStat: "cpu 1 2 3\nbtime 1700000000\nprocesses 9\n")
        == 1_700_000_000
    )
  }
}
