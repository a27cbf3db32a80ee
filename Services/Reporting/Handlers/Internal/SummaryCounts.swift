import Foundation
import PostgresNIO
import SafeMapAPI
import SwiftProtobuf

/// The counted columns of a summary row (DESIGN.md §6). `active` and `assessed` are derived,
/// because every issued facility is exactly one of stopped or active, and every active one has
/// exactly one map level: the invariants hold by construction, not by luck.
struct SummaryCounts: Sendable, Hashable {
  var issued = 0
  var stopped = 0
  var safe = 0
  var atRisk = 0
  var unsafe = 0
  var overdue = 0
  var neverAssessed = 0
  var inspected = 0
  var mismatched = 0

  var active: Int { issued - stopped }
  var assessed: Int { safe + atRisk + unsafe }

  static func + (a: SummaryCounts, b: SummaryCounts) -> SummaryCounts {
    SummaryCounts(
      issued: a.issued + b.issued,
      stopped: a.stopped + b.stopped,
      safe: a.safe + b.safe,
      atRisk: a.atRisk + b.atRisk,
      unsafe: a.unsafe + b.unsafe,
      overdue: a.overdue + b.overdue,
      neverAssessed: a.neverAssessed + b.neverAssessed,
      inspected: a.inspected + b.inspected,
      mismatched: a.mismatched + b.mismatched
    )
  }

  func row(key: String, name: String) -> Safemap_Reporting_V1_SummaryRow {
    .with {
      $0.groupKey = key
      $0.groupName = name
      $0.issued = Int32(issued)
      $0.stopped = Int32(stopped)
      $0.active = Int32(active)
      $0.assessed = Int32(assessed)
      $0.safe = Int32(safe)
      $0.atRisk = Int32(atRisk)
      $0.unsafe = Int32(unsafe)
      $0.overdue = Int32(overdue)
      $0.neverAssessed = Int32(neverAssessed)
      $0.inspected = Int32(inspected)
      $0.selfAssessedSafeInspectedUnsafe = Int32(mismatched)
      $0.assessedRatePercent = active == 0 ? 0 : Double(assessed) * 100 / Double(active)
    }
  }

  /// The aggregate columns of a summary over a `facts` relation, in the order
  /// ``init(columns:)`` reads them.
  static let selectList = """
    count(*)::int8, count(*) FILTER (WHERE NOT active)::int8,
    count(*) FILTER (WHERE active AND level = 'SAFE')::int8,
    count(*) FILTER (WHERE active AND level = 'AT_RISK')::int8,
    count(*) FILTER (WHERE active AND level = 'UNSAFE')::int8,
    count(*) FILTER (WHERE active AND level = 'OVERDUE')::int8,
    count(*) FILTER (WHERE active AND level = 'NOT_ASSESSED')::int8,
    count(*) FILTER (WHERE active AND inspected)::int8,
    count(*) FILTER (WHERE active AND mismatch)::int8
    """

  /// Reads the nine columns of ``selectList`` starting at `offset`.
  init(_ row: PostgresRandomAccessRow, from offset: Int) throws {
    func column(_ i: Int) throws -> Int { Int(try row[offset + i].decode(Int64.self)) }
    self.init(
      issued: try column(0),
      stopped: try column(1),
      safe: try column(2),
      atRisk: try column(3),
      unsafe: try column(4),
      overdue: try column(5),
      neverAssessed: try column(6),
      inspected: try column(7),
      mismatched: try column(8)
    )
  }

  init(
    issued: Int = 0,
    stopped: Int = 0,
    safe: Int = 0,
    atRisk: Int = 0,
    unsafe: Int = 0,
    overdue: Int = 0,
    neverAssessed: Int = 0,
    inspected: Int = 0,
    mismatched: Int = 0
  ) {
    self.issued = issued
    self.stopped = stopped
    self.safe = safe
    self.atRisk = atRisk
    self.unsafe = unsafe
    self.overdue = overdue
    self.neverAssessed = neverAssessed
    self.inspected = inspected
    self.mismatched = mismatched
  }
}
