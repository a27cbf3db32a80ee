import Foundation
import SafeMapCore
import Testing

/// Every statement on a tenant table names its tenant (`province_code` in its `WHERE` or its
/// key), so PostgreSQL prunes partitions at plan time and a distributed setup can route it to
/// one node. Checked over the SQL in the services' sources, against the tenant tables the
/// migrations declare.
@Suite("Statements name their tenant")
struct TenantStatementTests {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// Tables made with `safemap_make_tenant_table('…')` in the migrations.
  static func tenantTables() throws -> [String] {
    let folder = root.appendingPathComponent("Shared/Database/Migrations")
    var tables: [String] = []
    for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
      let sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
      for line in sql.split(separator: "\n")
      where line.hasPrefix("SELECT safemap_make_tenant_table('") {
        tables.append(String(line.split(separator: "'")[1]))
      }
    }
    return tables
  }

  /// The string literals of a Swift file: `"""` blocks and one-line `"…"` literals.
  static func literals(in source: String) -> [String] {
    var result: [String] = []
    let blocks = source.components(separatedBy: "\"\"\"")
    for (index, part) in blocks.enumerated() {
      if index % 2 == 1 {
        result.append(part)
      } else {
        for line in part.split(separator: "\n") {
          let quoted = line.split(separator: "\"", omittingEmptySubsequences: false)
          for (i, piece) in quoted.enumerated() where i % 2 == 1 { result.append(String(piece)) }
        }
      }
    }
    return result
  }

  @Test("every SQL statement on a tenant table in Services/ includes province_code")
  func statementsNameTheirTenant() throws {
    let tables = try Self.tenantTables()
    #expect(tables.count >= 12)
    let services = Self.root.appendingPathComponent("Services")
    let files = FileManager.default.enumerator(atPath: services.path)!
      .compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
    var offenders: [String] = []
    for file in files {
      let source = try String(
        contentsOf: services.appendingPathComponent(file),
        encoding: .utf8
      )
      for literal in Self.literals(in: source) {
        let text = literal.replacingOccurrences(of: "\n", with: " ")
        let upper = text.uppercased()
        guard
          upper.contains("SELECT ") || upper.contains("UPDATE ") || upper.contains("DELETE ")
            || upper.contains("INSERT ")
        else { continue }
        let onTenantTable =
          tables.contains { table in
            ["FROM \(table)", "UPDATE \(table)", "JOIN \(table)", "INTO \(table)"].contains {
              text.contains($0 + " ") || text.hasSuffix($0) || text.contains($0 + "\n")
            }
          } || text.contains("unescaped: FacilityRecord.select")
          || text.contains("unescaped: select")
        if onTenantTable && !text.contains("province_code") {
          offenders.append("\(file): \(text.prefix(120))")
        }
      }
    }
    #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
  }

  @Test("search text is matched literally: % and _ in a query are not wildcards")
  func likePatternsEscapeInput() {
    #expect(SearchText.containsPattern("may") == "%may%")
    #expect(SearchText.containsPattern("100%") == "%100\\%%")
    #expect(SearchText.containsPattern("a_b") == "%a\\_b%")
    #expect(SearchText.containsPattern("c:\\x") == "%c:\\\\x%")
  }
}
