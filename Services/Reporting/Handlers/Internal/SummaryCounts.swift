import Foundation
import PostgresNIO
import SafeMapAPI
import SwiftProtobuf

/// The counted columns of a summary row (docs/domain.md). `active` and `assessed` are derived,
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

  /// Adds `count` facilities of one class.
  mutating func add(active: Bool, level: String, inspected: Bool, mismatch: Bool, count: Int) {
    issued += count
    guard active else {
      stopped += count
      return
    }
    switch level {
    case "SAFE": safe += count
    case "AT_RISK": atRisk += count
    case "UNSAFE": unsafe += count
    case "OVERDUE": overdue += count
    default: neverAssessed += count
    }
    if inspected { self.inspected += count }
    if mismatch { mismatched += count }
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
