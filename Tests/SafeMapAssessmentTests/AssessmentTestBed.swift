import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SafeMapAPI
import SafeMapDatabase
import SafeMapRuntime
import SafeMapTestSupport
import Testing

/// assessment-service next to the account-service whose keys it trusts.
struct AssessmentTestBed: Sendable {
  let account: RunningService
  let assessment: RunningService

  /// Both services on a new database of the shared cluster. `databaseConnections` caps
  /// assessment-service's pool (1 makes every call share one connection).
  static func start(databaseConnections: Int? = nil) async throws -> AssessmentTestBed {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let account = try await TestServices.start(.account, database: database)
    var config = TestServices.configuration(
      .assessment, cluster: cluster, database: database, accountServicePort: account.port)
    if let databaseConnections { config.database.maximumConnections = databaseConnections }
    let assessment = try await TestServices.start(.assessment, configuration: config)
    return AssessmentTestBed(account: account, assessment: assessment)
  }

  /// account-service's FacilityService, for registering facilities and zones.
  func facilities<R: Sendable>(
    _ body: @escaping @Sendable (
      Safemap_Account_V1_FacilityService.Client<HTTP2ClientTransport.Posix>
    ) async throws -> R
  ) async throws -> R {
    try await withLocalClient(port: account.port) { client in
      try await body(Safemap_Account_V1_FacilityService.Client(wrapping: client))
    }
  }

  func assessments<R: Sendable>(
    _ body: @escaping @Sendable (Safemap_Assessment_V1_AssessmentService.Client<HTTP2ClientTransport.Posix>) async throws -> R
  ) async throws -> R {
    try await withLocalClient(port: assessment.port) { client in
      try await body(Safemap_Assessment_V1_AssessmentService.Client(wrapping: client))
    }
  }
}

func expectCode<R: Sendable>(
  _ code: RPCError.Code, mentioning: String? = nil,
  sourceLocation: SourceLocation = #_sourceLocation,
  _ body: @escaping @Sendable () async throws -> R
) async {
  do {
    _ = try await body()
    Issue.record("expected \(code), the call succeeded", sourceLocation: sourceLocation)
  } catch let error as RPCError {
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    if let mentioning {
      #expect(error.message.contains(mentioning), "\(error.message)", sourceLocation: sourceLocation)
    }
  } catch {
    Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
  }
}

