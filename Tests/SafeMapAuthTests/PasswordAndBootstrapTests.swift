import Foundation
import GRPCCore
import Logging
import NIOPosix
import PostgresNIO
import SafeMapAPI
import SafeMapAccount
import SafeMapAuth
import SafeMapClient
import SafeMapRuntime
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@Suite("Passwords and the first admin")
struct PasswordAndBootstrapTests {
  @Test("Argon2id hashes are PHC strings with the OWASP parameters, salted, and verify")
  func argon2id() async throws {
    let pool = NIOThreadPool(numberOfThreads: 2)
    pool.start()
    let hasher = PasswordHasher(pool: pool)
    let a = try await hasher.hash("correct horse battery")
    let b = try await hasher.hash("correct horse battery")
    #expect(a.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
    #expect(a != b)
    #expect(try await hasher.verify("correct horse battery", against: a))
    #expect(try await !hasher.verify("correct horse battery!", against: a))
    #expect(try await !hasher.verify("anything", against: "not a hash"))
    #expect(!hasher.needsRehash(a))
    #expect(hasher.needsRehash("$argon2id$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA"))
    try await pool.shutdownGracefully()
  }

  @Test("a full hashing queue refuses at once; queued checks whose caller left are not computed")
  func boundedHashingQueue() async throws {
    let pool = NIOThreadPool(numberOfThreads: 1)
    pool.start()
    // Slow parameters, so the first check still runs while the others queue behind it.
    let slow = PasswordHasher.Parameters(memoryKiB: 65_536, iterations: 8, lanes: 1)
    let hasher = PasswordHasher(parameters: slow, pool: pool, queueLimit: 3)
    let stored = try await hasher.hash("the stored password")
    let running = Task { try await hasher.verify("the stored password", against: stored) }
    let deadlines = [ServerContext.RPCCancellationHandle(), ServerContext.RPCCancellationHandle()]
    let queued = deadlines.map { handle in
      Task { try await hasher.verify("guess", against: stored, cancellation: handle) }
    }
    #expect(await eventually { hasher.figures.inFlight == 3 })
    // Full: the fourth is refused without waiting.
    let started = ContinuousClock.now
    await expectCode(.resourceExhausted, mentioning: "password checks") {
      try await hasher.verify("another", against: stored)
    }
    #expect(ContinuousClock.now - started < .milliseconds(100))
    // Their callers leave (a deadline passes, a client goes away) before a thread is free.
    for handle in deadlines { handle.cancel() }
    #expect(try await running.value)
    for task in queued {
      await expectCode(.cancelled) { try await task.value }
    }
    let figures = hasher.figures
    #expect(figures.computed == 2, "the stored hash and the running check only")
    #expect(figures.dropped == 2)
    #expect(figures.refused == 1)
    #expect(figures.inFlight == 0)
    try await pool.shutdownGracefully()
  }

  @Test("the bootstrap admin needs both variables and a password that follows the policy")
  func bootstrapConfiguration() throws {
    #expect(try AdminBootstrap(environment: [:]) == nil)
    #expect(throws: AdminBootstrap.Invalid.self) {
      try AdminBootstrap(environment: ["SAFEMAP_BOOTSTRAP_ADMIN": "admin"])
    }
    #expect(throws: AdminBootstrap.Invalid.self) {
      try AdminBootstrap(environment: [
        "SAFEMAP_BOOTSTRAP_ADMIN": "admin", "SAFEMAP_BOOTSTRAP_PASSWORD": "short",
      ])
    }
    #expect(throws: AdminBootstrap.Invalid.self) {
      try AdminBootstrap(environment: [
        "SAFEMAP_BOOTSTRAP_ADMIN": "bad name", "SAFEMAP_BOOTSTRAP_PASSWORD": "long enough pw",
      ])
    }
  }

  @Test("account-service creates the first ministry admin once, with a hashed password")
  func bootstrapCreatesAdminOnce() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    var environment = TestKeys.environment
    environment["SAFEMAP_BOOTSTRAP_ADMIN"] = "bo.congthuong"
    environment["SAFEMAP_BOOTSTRAP_PASSWORD"] = "a long first password"
    for _ in 0..<2 {
      let service = try await TestServices.start(
        .account,
        database: database,
        environment: environment
      )
      try await service.stop()
    }
    let rows = try await PostgresTesting.withClient(cluster.configuration(database: database)) {
      client,
      logger in
      var found: [(String, String, String)] = []
      let result = try await client.query(
        "SELECT province_code, role, password_hash FROM accounts WHERE username = 'bo.congthuong'",
        logger: logger
      )
      for try await row in result.decode((String, String, String).self) { found.append(row) }
      return found
    }
    #expect(rows.count == 1)
    #expect(rows.first?.0 == "00")
    #expect(rows.first?.1 == "MINISTRY_ADMIN")
    let hash = try #require(rows.first?.2)
    let pool = NIOThreadPool(numberOfThreads: 1)
    pool.start()
    #expect(try await PasswordHasher(pool: pool).verify("a long first password", against: hash))
    try await pool.shutdownGracefully()
  }
}
