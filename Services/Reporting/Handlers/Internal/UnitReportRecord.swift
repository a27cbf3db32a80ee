import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SafeMapRuntime
import SwiftProtobuf

/// A unit's report at an instant: its latest transition (`unit_report_events`) and the
/// submission it concerns (`unit_report_submissions`). Read from the history, so "now" and
/// "as of T" are the same statement.
struct UnitReportRecord: Sendable {
  var kind: UnitReport.UnitKind
  var code: String
  var state: UnitReport.State
  var updatedAt: Date
  var updatedBy: UUID
  /// The comment of a submission, the reason of a return, acceptance or reopening.
  var text: String
  var submissionID: UUID
  var submittedAt: Date
  var submittedBy: UUID
  var comment: String
  var contentHash: [UInt8]

  typealias Columns = (
    String, String, String, Date, UUID, String, UUID, Date, UUID, String, ByteBuffer
  )

  /// The latest transition of each unit of the campaign at or before `instant` (nil: the
  /// latest of all), optionally of `units` only.
  static func read(
    campaign: UUID,
    province: String,
    at instant: Date?,
    units: [ReportingUnit]? = nil,
    on connection: PostgresConnection
  ) async throws -> [ReportingUnit: UnitReportRecord] {
    let labels = units?.map(\.label)
    let rows = try await connection.query(
      """
      SELECT DISTINCT ON (e.unit_kind, e.unit_code) e.unit_kind, e.unit_code, e.state, e.at,
        e.actor, e.text, s.submission_id, s.submitted_at, s.submitted_by, s.comment,
        s.content_hash
      FROM unit_report_events e
      JOIN unit_report_submissions s
        ON s.province_code = e.province_code AND s.submission_id = e.submission_id
      WHERE e.province_code = \(province) AND e.campaign_id = \(campaign)
        AND (\(instant)::timestamptz IS NULL OR e.at <= \(instant))
        AND (\(labels)::text[] IS NULL
          OR e.unit_kind || '/' || e.unit_code = ANY(\(labels)::text[]))
      ORDER BY e.unit_kind, e.unit_code, e.at DESC
      """,
      logger: connection.logger
    )
    var records: [ReportingUnit: UnitReportRecord] = [:]
    for try await row in rows.decode(Columns.self) {
      guard let kind = UnitReport.UnitKind(sql: row.0), let state = UnitReport.State(sql: row.2)
      else { continue }
      var hash = row.10
      let record = UnitReportRecord(
        kind: kind,
        code: row.1,
        state: state,
        updatedAt: row.3,
        updatedBy: row.4,
        text: row.5,
        submissionID: row.6,
        submittedAt: row.7,
        submittedBy: row.8,
        comment: row.9,
        contentHash: hash.readBytes(length: hash.readableBytes) ?? []
      )
      records[ReportingUnit(kind: kind, code: row.1)] = record
    }
    return records
  }

  /// The status a unit shows: its state, whether it reported on time, its latest submission
  /// and transition. `record` nil: nothing submitted.
  static func status(
    _ unit: ReportingUnit,
    active: Int,
    record: UnitReportRecord?,
    deadline: Date
  ) -> Safemap_Reporting_V1_UnitReportStatus {
    let timeliness = UnitReport.Timeliness(
      expected: active > 0,
      state: record?.state,
      submittedAt: record?.submittedAt,
      deadline: deadline
    )
    return .with {
      $0.unit = unit.message
      $0.state = UnitReport.State.message(record?.state)
      $0.timeliness = timeliness.message
      $0.activeFacilities = Int32(active)
      $0.changedSince = -1
      guard let record else { return }
      $0.submissionID = record.submissionID.uuidString.lowercased()
      $0.submitTime = Google_Protobuf_Timestamp(date: record.submittedAt)
      $0.submittedByAccountID = record.submittedBy.uuidString.lowercased()
      $0.comment = record.comment
      $0.updateTime = Google_Protobuf_Timestamp(date: record.updatedAt)
      $0.updatedByAccountID = record.updatedBy.uuidString.lowercased()
      $0.reason = record.state == .submitted ? "" : record.text
      $0.contentHash = record.contentHash.map { String(format: "%02x", $0) }.joined()
    }
  }

  /// The latest `limit` transitions of a unit's report, oldest first.
  static func events(
    campaign: UUID,
    province: String,
    unit: ReportingUnit,
    limit: Int = 200,
    on connection: PostgresConnection
  ) async throws -> [Safemap_Reporting_V1_UnitReportEvent] {
    let rows = try await connection.query(
      """
      SELECT state, at, actor, text, submission_id FROM unit_report_events
      WHERE province_code = \(province) AND campaign_id = \(campaign)
        AND unit_kind = \(unit.kind.sql) AND unit_code = \(unit.code)
      ORDER BY at DESC LIMIT \(limit)
      """,
      logger: connection.logger
    )
    var events: [Safemap_Reporting_V1_UnitReportEvent] = []
    for try await (state, at, actor, text, submission) in rows.decode(
      (String, Date, UUID, String, UUID).self
    ) {
      events.append(
        .with {
          $0.state = UnitReport.State.message(sql: state)
          $0.time = Google_Protobuf_Timestamp(date: at)
          $0.accountID = actor.uuidString.lowercased()
          $0.text = text
          $0.submissionID = submission.uuidString.lowercased()
        }
      )
    }
    return events.reversed()
  }

  /// Serialises transitions of one unit's report: a first submission has no row to lock yet.
  static func lock(campaign: UUID, _ unit: ReportingUnit, on connection: PostgresConnection)
    async throws
  {
    let key = "\(campaign.uuidString.lowercased())/\(unit.label)"
    try await connection.query(
      "SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))",
      logger: connection.logger
    )
  }

  /// The current state of each of `units` (absent: not submitted). `locking` (after
  /// ``lock``) holds the rows until the transaction ends; a read-only check does not.
  static func currentStates(
    campaign: UUID,
    province: String,
    units: [ReportingUnit],
    locking: Bool = true,
    on connection: PostgresConnection
  ) async throws -> [ReportingUnit: (state: UnitReport.State, submission: UUID)] {
    let rows = try await connection.query(
      """
      SELECT unit_kind, unit_code, state, submission_id FROM unit_reports
      WHERE province_code = \(province) AND campaign_id = \(campaign)
        AND unit_kind || '/' || unit_code = ANY(\(units.map(\.label))::text[])
      \(unescaped: locking ? "FOR UPDATE" : "")
      """,
      logger: connection.logger
    )
    var states: [ReportingUnit: (UnitReport.State, UUID)] = [:]
    for try await (kind, code, state, submission) in rows.decode(
      (String, String, String, UUID).self
    ) {
      guard let kind = UnitReport.UnitKind(sql: kind), let state = UnitReport.State(sql: state)
      else { continue }
      states[ReportingUnit(kind: kind, code: code)] = (state, submission)
    }
    return states
  }
}
