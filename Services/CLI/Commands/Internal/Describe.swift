import Foundation
import SafeMapAPI
import SwiftProtobuf

/// Words for the contract's values, as an official reads them.
enum Describe {
  static func role(_ role: Safemap_Common_V1_Role) -> String {
    switch role {
    case .ministryAdmin: "ministry admin"
    case .provinceOfficer: "province officer"
    case .districtOfficer: "district officer"
    case .zoneOfficer: "zone officer"
    case .healthInspector: "health inspector"
    case .facility: "facility"
    default: "no role"
    }
  }

  /// `province officer of 25`, `district officer of 25/227`, `facility <id> in 25`.
  static func account(_ account: Safemap_Account_V1_Account) -> String {
    let scope = account.scope
    var words = role(account.role)
    switch account.role {
    case .ministryAdmin: words += ", every province"
    case .districtOfficer: words += " of \(scope.provinceCode)/\(scope.districtCode)"
    case .zoneOfficer: words += " of zone \(scope.zoneID) in \(scope.provinceCode)"
    case .facility: words += " \(scope.facilityID) in \(scope.provinceCode)"
    default: words += " of \(scope.provinceCode)"
    }
    if account.disabled { words += ", disabled" }
    return words
  }

  static func level(_ level: Safemap_Common_V1_MapLevel) -> String {
    switch level {
    case .safe: "safe"
    case .atRisk: "at risk"
    case .unsafe: "unsafe"
    case .notAssessed: "not assessed"
    case .overdue: "overdue"
    default: ""
    }
  }

  static func timeliness(_ timeliness: Safemap_Reporting_V1_Timeliness) -> String {
    switch timeliness {
    case .onTime: "on time"
    case .late: "late"
    case .missing: "missing"
    case .notExpected: "not expected"
    default: ""
    }
  }

  static func unitState(_ state: Safemap_Reporting_V1_UnitReportState) -> String {
    switch state {
    case .notSubmitted: "not submitted"
    case .submitted: "submitted"
    case .returned: "returned"
    case .accepted: "accepted"
    case .reopened: "reopened"
    default: ""
    }
  }

  static func nominationState(_ state: Safemap_Account_V1_NominationState) -> String {
    switch state {
    case .submitted: "submitted"
    case .needsInformation: "needs information"
    case .approved: "approved"
    case .rejected: "rejected"
    case .issued: "issued"
    default: ""
    }
  }

  static func credentialStatus(_ status: Safemap_Account_V1_CredentialStatus) -> String {
    switch status {
    case .awaitingHandOut: "awaiting hand-out"
    case .handedOut: "handed out"
    case .activated: "activated"
    case .expired: "expired"
    default: ""
    }
  }

  /// `694` for a district, `zone:<id>` for a zone: what `--unit` takes.
  static func unit(_ unit: Safemap_Reporting_V1_ReportingUnit) -> String {
    unit.kind == .zone ? "zone:\(unit.code)" : unit.code
  }

  static func operatingStatus(_ status: Safemap_Common_V1_OperatingStatus) -> String {
    switch status {
    case .active: "active"
    case .suspended: "suspended"
    case .closed: "closed"
    default: ""
    }
  }

  static let instantFormat: Date.ISO8601FormatStyle = .iso8601
    .year().month().day().dateSeparator(.dash)
    .time(includingFractionalSeconds: false).timeSeparator(.colon)
    .timeZone(separator: .colon)

  /// `2026-12-07T08:45:00+07:00` in the machine's time zone.
  static func instant(_ date: Date) -> String {
    var style = instantFormat
    style.timeZone = TimeZone.current
    return date.formatted(style)
  }

  static func instant(_ timestamp: Google_Protobuf_Timestamp) -> String {
    instant(timestamp.date)
  }

  /// The day of `timestamp` in Vietnam (UTC+7): `2021-08-20`.
  static func day(_ timestamp: Google_Protobuf_Timestamp) -> String {
    timestamp.date.formatted(
      Date.ISO8601FormatStyle(timeZone: Instant.vietnam).year().month().day()
    )
  }

  static func kind(_ kind: Safemap_Common_V1_AssessmentKind) -> String {
    switch kind {
    case .workplace: "workplace"
    case .dormitory: "dormitory"
    default: ""
    }
  }

  /// `2021-08-20` for a calendar date of the contract; empty when unset.
  static func date(_ date: Safemap_Common_V1_Date) -> String {
    guard date.year != 0 else { return "" }
    return String(format: "%04d-%02d-%02d", date.year, date.month, date.day)
  }
}
