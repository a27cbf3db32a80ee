import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapClient
import SafeMapCore
import SafeMapRuntime
import SafeMapTestSupport
import SwiftProtobuf
import Synchronization
import Testing

/// The real executables exit on SIGTERM within their shutdown timeout plus a few seconds,
/// whatever the database does meanwhile: under load, after the database crashed and came back
/// (`pg_ctl -m immediate restart`), and with the database stopped during the drain.
@Suite("Shutdown under database outages")
struct ShutdownUnderOutageTests {
  static let shutdownTimeout = 5

  /// Calls that touch the database on each service, as a province officer.
  static func load(_ service: SafeMapService, port: Int) async -> Bool {
    do {
      let metadata = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer())
      try await withLocalClient(port: port) { client in
        var options = CallOptions.defaults
        options.timeout = .seconds(2)
        switch service {
        case .account:
          _ = try await Safemap_Account_V1_FacilityService.Client(wrapping: client)
            .listZones(.init(), metadata: metadata, options: options)
        case .assessment:
          _ = try await Safemap_Assessment_V1_AssessmentService.Client(wrapping: client)
            .getProvinceSettings(.init(), metadata: metadata, options: options)
        case .reporting:
          _ = try await Grpc_Health_V1_Health.Client(wrapping: client)
            .check(.init(), options: options)
        }
      }
      return true
    } catch {
      return false
    }
  }

  static func environment(
    _ service: SafeMapService,
    cluster: PostgresCluster,
    database: String,
    grpcPort: Int,
    accountPort: Int
  ) -> [String: String] {
    var environment = Executables.environment(
      cluster: cluster,
      database: database,
      grpcPort: grpcPort,
      logLevel: "info"
    )
    environment["SAFEMAP_ACCOUNT_SERVICE"] = "127.0.0.1:\(accountPort)"
    environment["SAFEMAP_SHUTDOWN_TIMEOUT_S"] = String(shutdownTimeout)
    return environment
  }

  @Test(
    "SIGTERM after a database crash, with the database stopped during the drain: the process exits",
    arguments: [SafeMapService.account, .assessment, .reporting]
  )
  func exitsWhateverTheDatabaseDoes(service: SafeMapService) async throws {
    let managed = try await ManagedCluster.start()
    let cluster = PostgresCluster(managed: managed)
    try await cluster.createMigratedDatabase("shutdown")
    let accountPort = try FreePort.find()
    let log = FileManager.default.temporaryDirectory
      .appendingPathComponent("shutdown-\(service.rawValue)-\(accountPort).log").path
    var pids: [pid_t] = []
    defer {
      for pid in pids { kill(pid, SIGKILL) }
      try? FileManager.default.removeItem(atPath: log)
      try? FileManager.default.removeItem(atPath: log + ".account")
    }
    let account = try Shell.spawn(
      try Executables.path("account-service"),
      [],
      output: log + ".account",
      environment: Self.environment(
        .account,
        cluster: cluster,
        database: "shutdown",
        grpcPort: accountPort,
        accountPort: accountPort
      )
    )
    pids.append(account)
    var port = accountPort
    var target = account
    if service != .account {
      port = try FreePort.find()
      target = try Shell.spawn(
        try Executables.path(service.processName),
        [],
        output: log,
        environment: Self.environment(
          service,
          cluster: cluster,
          database: "shutdown",
          grpcPort: port,
          accountPort: accountPort
        )
      )
      pids.append(target)
    }
    let servicePort = port
    #expect(await eventually(timeout: .seconds(20)) { await Self.load(service, port: servicePort) })

    // Sixteen callers without pause.
    let counter = Counter()
    let callers = (0..<16).map { _ in
      Task {
        while counter.running {
          if await Self.load(service, port: servicePort) {
            counter.succeed()
          } else {
            try? await Task.sleep(for: .milliseconds(20))
          }
        }
      }
    }
    try await Task.sleep(for: .seconds(1))
    try await managed.restartImmediately()
    // Calls succeed again soon after the crash.
    let before = counter.succeeded
    #expect(await eventually(timeout: .seconds(10)) { counter.succeeded > before + 10 })
    try await Task.sleep(for: .seconds(2))

    kill(target, SIGTERM)
    let signalled = ContinuousClock.now
    try await Task.sleep(for: .seconds(1))
    try await managed.stop()
    let status = await Shell.waitForExit(target, timeout: .seconds(Self.shutdownTimeout + 10))
    counter.stop()
    for caller in callers { await caller.value }
    // The pool's reconnect attempts repeat every few hundred milliseconds and would push what
    // the process said about its shutdown out of the message.
    let output =
      ((try? String(
        contentsOfFile: service == .account ? log + ".account" : log,
        encoding: .utf8
      )) ?? "")
      .split(separator: "\n")
      .filter { !$0.contains("Connection creation failed") }
      .joined(separator: "\n")
    let elapsed = ContinuousClock.now - signalled
    #expect(
      status != nil,
      "\(service.processName) still running \(elapsed) after SIGTERM:\n\(output.suffix(3000))"
    )
    print(
      "\(service.processName) exited \(elapsed) after SIGTERM with status \(String(describing: status))"
    )
    if status != nil { pids.removeAll { $0 == target } }
    await managed.destroy()
  }

  final class Counter: Sendable {
    private let state = Mutex((running: true, succeeded: 0))
    var running: Bool { state.withLock { $0.running } }
    var succeeded: Int { state.withLock { $0.succeeded } }
    func succeed() { state.withLock { $0.succeeded += 1 } }
    func stop() { state.withLock { $0.running = false } }
  }
}
