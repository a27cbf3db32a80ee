import Foundation
import GRPCCore
import Logging
import PostgresNIO
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SafeMapDatabase
import SwiftProtobuf
import Synchronization

/// Catalogues in the `catalogues` table: the definition is the protobuf JSON of the catalogue
/// (criteria, thresholds, mapping); version, state and times live in columns.
enum CatalogueStore {
  static let columns = "kind, version, state, definition::text, created_at, activated_at"

  static func decode(_ row: PostgresRow) throws -> Safemap_Assessment_V1_Catalogue {
    let (kind, version, state, json, created, activated) = try row.decode(
      (String, Int32, String, String, Date, Date?).self
    )
    var catalogue = try Safemap_Assessment_V1_Catalogue(jsonString: json)
    catalogue.kind = AssessmentKind.message(sql: kind)
    catalogue.version = version
    catalogue.state = state == "ACTIVE" ? .active : state == "RETIRED" ? .retired : .draft
    catalogue.maxPoints = Int32(ScoringCatalogue(catalogue).maxPoints)
    catalogue.createTime = Google_Protobuf_Timestamp(date: created)
    if let activated { catalogue.activateTime = Google_Protobuf_Timestamp(date: activated) }
    return catalogue
  }

  /// The active catalogue of `kind`, or a given version.
  /// The version this transaction has just written or activated.
  static func written(kind: String, version: Int32, on connection: PostgresConnection)
    async throws -> Safemap_Assessment_V1_Catalogue
  {
    guard let catalogue = try await find(kind: kind, version: version, on: connection) else {
      throw RPCError(
        code: .internalError,
        message: "\(kind) v\(version) missing after it was written"
      )
    }
    return catalogue
  }

  static func find(kind: String, version: Int32?, on connection: PostgresConnection) async throws
    -> Safemap_Assessment_V1_Catalogue?
  {
    let rows = try await connection.query(
      """
      SELECT \(unescaped: columns) FROM catalogues
      WHERE kind = \(kind)
        AND (\(version)::int IS NULL AND state = 'ACTIVE' OR version = \(version))
      """,
      logger: connection.logger
    )
    for try await row in rows { return try decode(row) }
    return nil
  }

  /// The definition as stored: what scoring needs, without the server-owned fields.
  static func definitionJSON(_ catalogue: Safemap_Assessment_V1_Catalogue) throws -> String {
    var definition = catalogue
    definition.version = 0
    definition.state = .unspecified
    definition.maxPoints = 0
    definition.clearCreateTime()
    definition.clearActivateTime()
    return try definition.jsonString()
  }

  /// Inserts `catalogue` as the next version of its kind; returns the version.
  static func insert(
    _ catalogue: Safemap_Assessment_V1_Catalogue,
    kind: String,
    state: String,
    requestID: String?,
    on connection: PostgresConnection
  ) async throws -> Int32 {
    let json = try definitionJSON(catalogue)
    let maxPoints = ScoringCatalogue(catalogue).maxPoints
    let rows = try await connection.query(
      """
      INSERT INTO catalogues (kind, version, title, source_note, state, definition, max_points,
                              request_id, activated_at)
      SELECT \(kind), coalesce(max(version), 0) + 1, \(catalogue.title), \(catalogue.sourceNote),
             \(state), \(json)::jsonb, \(maxPoints), \(requestID),
             CASE WHEN \(state) = 'ACTIVE' THEN now() END
      FROM catalogues WHERE kind = \(kind)
      RETURNING version
      """,
      logger: connection.logger
    )
    for try await version in rows.decode(Int32.self) { return version }
    throw RPCError(code: .internalError, message: "catalogue not stored")
  }

  /// The catalogues shipped with the project (Resources/catalogues/*.json).
  static func bundledDefaults() throws -> [Safemap_Assessment_V1_Catalogue] {
    guard let folder = Bundle.module.url(forResource: "catalogues", withExtension: nil) else {
      return []
    }
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".json") }.sorted()
    return try files.map { file in
      try Safemap_Assessment_V1_Catalogue(
        jsonString: String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
      )
    }
  }

  /// Installs and activates each shipped catalogue whose kind has none yet (first start of a
  /// deployment); later versions come only through ImportCatalogue.
  static func installDefaults(database: Database, logger: Logger) async throws {
    let defaults = try bundledDefaults()
    try await database.withMaintenanceConnection { connection in
      try await connection.withTransaction(logger: logger) { tx in
        try await tx.query("LOCK TABLE catalogues IN SHARE ROW EXCLUSIVE MODE", logger: logger)
        for catalogue in defaults {
          guard let kind = AssessmentKind(catalogue.kind)?.sql else { continue }
          let rows = try await tx.query(
            "SELECT 1 FROM catalogues WHERE kind = \(kind)",
            logger: logger
          )
          var exists = false
          for try await _ in rows { exists = true }
          if exists { continue }
          let version = try await insert(
            catalogue,
            kind: kind,
            state: "ACTIVE",
            requestID: nil,
            on: tx
          )
          logger.notice(
            "installed default catalogue",
            metadata: ["kind": "\(kind)", "version": "\(version)"]
          )
        }
      }
    }
  }
}

/// A catalogue together with the form scoring needs, built once per fetch.
struct ScorableCatalogue: Sendable {
  let catalogue: Safemap_Assessment_V1_Catalogue
  let scoring: ScoringCatalogue
  /// Criterion code → title, for the "criteria that contributed most" of an answer.
  let titles: [String: String]

  init(_ catalogue: Safemap_Assessment_V1_Catalogue) {
    self.catalogue = catalogue
    self.scoring = ScoringCatalogue(catalogue)
    self.titles = Dictionary(
      catalogue.criteria.map { ($0.code, $0.title) },
      uniquingKeysWith: { first, _ in first }
    )
  }
}

/// The active catalogue of each kind, kept for a few seconds: every submission needs it, and
/// it changes only when the ministry activates a new version (seen at once by the instance
/// that activated it, by the others within `ttl`).
final class CatalogueCache: Sendable {
  let ttl: Duration = .seconds(5)
  private let active = Mutex<[String: (ScorableCatalogue, ContinuousClock.Instant)]>([:])

  /// The active catalogue of `kind` (cached), or the given version (always read).
  func find(
    kind: String,
    version: Int32?,
    database: Database,
    cancellation: ServerContext.RPCCancellationHandle
  ) async throws -> ScorableCatalogue? {
    let now = ContinuousClock.now
    if version == nil, let (catalogue, fetched) = active.withLock({ $0[kind] }),
      fetched.advanced(by: ttl) > now
    {
      return catalogue
    }
    let found = try await database.withGlobalConnection(cancellation: cancellation) {
      try await CatalogueStore.find(kind: kind, version: version, on: $0)
    }.map(ScorableCatalogue.init)
    if version == nil, let found { active.withLock { $0[kind] = (found, now) } }
    return found
  }

  /// Forgets the cached active catalogue of `kind` (after this instance activated another).
  func invalidate(kind: String) {
    _ = active.withLock { $0.removeValue(forKey: kind) }
  }
}
