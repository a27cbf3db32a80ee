import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapContract
import SafeMapCore
import SafeMapDatabase
import SafeMapRuntime
import SwiftProtobuf

extension AssessmentService {
  static func requireMinistry(_ principal: Principal) throws {
    guard AccessPolicy.mayManageCatalogues(principal) else {
      throw RPCError(
        code: .permissionDenied,
        message: "only the ministry manages criteria catalogues"
      )
    }
  }

  public func getCatalogue(
    request: Safemap_Assessment_V1_GetCatalogueRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_GetCatalogueResponse {
    _ = try RequestPrincipal.require()
    guard let kind = AssessmentKind(request.kind)?.sql else {
      throw RPCError(code: .invalidArgument, message: "kind: WORKPLACE or DORMITORY")
    }
    guard request.version >= 0 else {
      throw RPCError(code: .invalidArgument, message: "version: must not be negative")
    }
    let version = request.version == 0 ? nil : request.version
    let catalogue = try await database.withGlobalConnection(cancellation: context.cancellation) {
      try await CatalogueStore.find(kind: kind, version: version, on: $0)
    }
    guard let catalogue else {
      throw RPCError(
        code: .notFound,
        message: version == nil
          ? "kind: no active \(kind) catalogue"
          : "version: no \(kind) catalogue version \(request.version)"
      )
    }
    return .with { $0.catalogue = catalogue }
  }

  public func listCatalogues(
    request: Safemap_Assessment_V1_ListCataloguesRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_ListCataloguesResponse {
    _ = try RequestPrincipal.require()
    let page = try Paging.Page<CatalogueKey>(
      size: request.pageSize,
      token: request.pageToken,
      context: context
    )
    let kind = AssessmentKind(request.kind)?.sql
    let (afterKind, afterVersion) = (page.after?.kind, page.after?.version)
    // By kind, then newest first.
    let catalogues = try await database.withGlobalConnection(cancellation: context.cancellation) {
      connection in
      let rows = try await connection.query(
        """
        SELECT \(unescaped: CatalogueStore.columns) FROM catalogues
        WHERE (\(kind)::text IS NULL OR kind = \(kind))
          AND (\(afterKind)::text IS NULL OR (kind, version) < (\(afterKind), \(afterVersion)))
        ORDER BY kind DESC, version DESC LIMIT \(page.size)
        """,
        logger: connection.logger
      )
      var catalogues: [Safemap_Assessment_V1_Catalogue] = []
      for try await row in rows {
        var catalogue = try CatalogueStore.decode(row)
        catalogue.criteria = []
        catalogues.append(catalogue)
      }
      return catalogues
    }
    return .with {
      $0.catalogues = catalogues
      $0.nextPageToken = page.nextToken(
        after: catalogues.last.map {
          CatalogueKey(kind: AssessmentKind($0.kind)?.sql ?? "", version: $0.version)
        },
        count: catalogues.count
      )
    }
  }

  /// Where a page of catalogues continues: ordered by kind, then version, both descending.
  struct CatalogueKey: Codable, Sendable {
    var kind: String
    var version: Int32
  }

  public func importCatalogue(
    request: Safemap_Assessment_V1_ImportCatalogueRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_ImportCatalogueResponse {
    let mutation = try AuditedMutation(context, database: database)
    return try await mutation.run(province: nil) {
      try await importCatalogue(request, mutation: mutation, context: context)
    }
  }

  private func importCatalogue(
    _ request: Safemap_Assessment_V1_ImportCatalogueRequest,
    mutation: AuditedMutation,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_ImportCatalogueResponse {
    let principal = mutation.principal
    try Self.requireMinistry(principal)
    let catalogue = request.catalogue
    var violations = ScoringCatalogue(catalogue).violations()
    let kind = AssessmentKind(catalogue.kind)?.sql
    violations.require(kind != nil, "catalogue.kind", "WORKPLACE or DORMITORY")
    violations.require(!catalogue.title.isEmpty, "catalogue.title", "required")
    violations.require(
      !catalogue.sourceNote.isEmpty,
      "catalogue.source_note",
      "required: say what is verified"
    )
    for (i, criterion) in catalogue.criteria.enumerated() {
      for (j, option) in criterion.options.enumerated()
      where option.knockOutMapLevel != .unspecified && MapLevel(option.knockOutMapLevel) == nil {
        violations.add(
          "catalogue.criteria[\(i)].options[\(j)].knock_out_map_level",
          "SAFE, AT_RISK or UNSAFE"
        )
      }
    }
    guard violations.isEmpty, let kind else { throw RPCError.invalidArgument(violations) }
    let requestID = request.requestID.isEmpty ? nil : request.requestID
    let home = principal.homeTenant
    // Catalogues are national; the transaction is the ministry's own tenant so that the audit
    // row commits with the catalogue.
    let stored = try await mutation.commit(in: home) { tx in
      if let requestID {
        let rows = try await tx.query(
          """
          SELECT \(unescaped: CatalogueStore.columns) FROM catalogues
          WHERE request_id = \(requestID)
          """,
          logger: tx.logger
        )
        for try await row in rows { return .unchanged(try CatalogueStore.decode(row)) }
      }
      try await tx.query("LOCK TABLE catalogues IN SHARE ROW EXCLUSIVE MODE", logger: tx.logger)
      let version = try await CatalogueStore.insert(
        catalogue,
        kind: kind,
        state: "DRAFT",
        requestID: requestID,
        on: tx
      )
      return .changed(
        try await CatalogueStore.written(kind: kind, version: version, on: tx),
        target: "catalogue",
        id: "\(kind) v\(version)",
        detail: String(catalogue.title.prefix(200))
      )
    }
    return .with { $0.catalogue = stored }
  }

  public func activateCatalogue(
    request: Safemap_Assessment_V1_ActivateCatalogueRequest,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_ActivateCatalogueResponse {
    let mutation = try AuditedMutation(context, database: database)
    return try await mutation.run(province: nil) {
      try await activateCatalogue(request, mutation: mutation, context: context)
    }
  }

  private func activateCatalogue(
    _ request: Safemap_Assessment_V1_ActivateCatalogueRequest,
    mutation: AuditedMutation,
    context: ServerContext
  ) async throws -> Safemap_Assessment_V1_ActivateCatalogueResponse {
    let principal = mutation.principal
    try Self.requireMinistry(principal)
    guard let kind = AssessmentKind(request.kind)?.sql else {
      throw RPCError(code: .invalidArgument, message: "kind: WORKPLACE or DORMITORY")
    }
    guard request.version > 0 else {
      throw RPCError(code: .invalidArgument, message: "version: required")
    }
    let version = request.version
    let home = principal.homeTenant
    let activated = try await mutation.commit(in: home) { tx in
      guard try await CatalogueStore.find(kind: kind, version: version, on: tx) != nil else {
        throw RPCError(
          code: .notFound,
          message: "version: no \(kind) catalogue version \(version)"
        )
      }
      try await tx.query(
        """
        UPDATE catalogues SET state = 'RETIRED'
        WHERE kind = \(kind) AND state = 'ACTIVE' AND version <> \(version)
        """,
        logger: tx.logger
      )
      try await tx.query(
        """
        UPDATE catalogues SET state = 'ACTIVE', activated_at = coalesce(activated_at, now())
        WHERE kind = \(kind) AND version = \(version)
        """,
        logger: tx.logger
      )
      return .changed(
        try await CatalogueStore.written(kind: kind, version: version, on: tx),
        target: "catalogue",
        id: "\(kind) v\(version)"
      )
    }
    catalogues.invalidate(kind: kind)
    return .with { $0.catalogue = activated }
  }
}
