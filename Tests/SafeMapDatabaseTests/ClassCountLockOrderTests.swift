import Foundation
import Logging
import PostgresNIO
import SafeMapTestSupport
import Testing

/// Two facilities of one district swapping classes in concurrent transactions (X→Y and
/// Y→X) write the same two counters of facility_class_counts. Before migration 0014 each
/// wrote its old class's counter first, so each could hold the row the other needed next and
/// PostgreSQL aborted one as a deadlock (a submission answered ABORTED; pgbench: 7 of 270
/// such transactions in 8 s). Written in the order of their class, they wait instead.
@Suite("Class counters under concurrent class changes")
struct ClassCountLockOrderTests {
  static let facilities = [
    "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b",
  ]

  @Test("facilities swapping classes at once never deadlock, and the counters stay exact")
  func swappingClassesDoesNotDeadlock() async throws {
    let cluster = try await PostgresCluster.shared()
    let database = try await cluster.makeMigratedDatabase()
    let configuration = cluster.configuration(database: database)
    try await PostgresTesting.withClient(configuration) { client, logger in
      try await client.withTransaction(logger: logger) { tx in
        try await tx.query("SELECT set_config('app.province', '25', true)", logger: logger)
        for (index, id) in Self.facilities.enumerated() {
          try await tx.query(
            """
            INSERT INTO facilities (province_code, facility_id, name, tax_code, address,
              district_code, sector, worker_count, workshop_area_m2, has_dormitory,
              dormitory_residents, contact_phone, contact_email, search_text)
            VALUES ('25', \(UUID(uuidString: id)!), \("Cơ sở \(index)"), \("250000000\(index)"),
              '', '227', '', 10, 10, false, 0, '', '', '')
            """,
            logger: logger
          )
          try await tx.query(
            """
            UPDATE facility_status SET issued_at = now() - interval '1 day',
              workplace_map_level = \(index == 0 ? "SAFE" : "UNSAFE")
            WHERE province_code = '25' AND facility_id = \(UUID(uuidString: id)!)
            """,
            logger: logger
          )
        }
      }
    }
    // Four connections, two per facility, each flipping its facility's level in its own
    // transactions: with the old order, about one in forty deadlocked.
    try await withThrowingTaskGroup(of: Void.self) { group in
      for worker in 0..<4 {
        let id = UUID(uuidString: Self.facilities[worker % 2])!
        group.addTask {
          try await PostgresTesting.withClient(configuration) { client, logger in
            for _ in 0..<150 {
              try await client.withTransaction(logger: logger) { tx in
                try await tx.query(
                  """
                  UPDATE facility_status SET workplace_map_level =
                    CASE workplace_map_level WHEN 'SAFE' THEN 'UNSAFE' ELSE 'SAFE' END
                  WHERE province_code = '25' AND facility_id = \(id)
                  """,
                  logger: logger
                )
              }
            }
          }
        }
      }
      try await group.waitForAll()
    }
    let mismatched = try await PostgresTesting.withClient(configuration) { client, logger in
      let rows = try await client.query(
        """
        SELECT count(*)::int FROM (
          SELECT workplace_map_level, count(*) AS n FROM facility_status
          WHERE province_code = '25' AND issued_at IS NOT NULL GROUP BY 1) s
        FULL JOIN (
          SELECT workplace_map_level, sum(facilities) AS n FROM facility_class_counts
          WHERE province_code = '25' GROUP BY 1 HAVING sum(facilities) <> 0) c
        USING (workplace_map_level)
        WHERE s.n IS DISTINCT FROM c.n
        """,
        logger: logger
      )
      for try await count in rows.decode(Int.self) { return count }
      return -1
    }
    #expect(mismatched == 0, "the counters agree with a recount")
  }
}
