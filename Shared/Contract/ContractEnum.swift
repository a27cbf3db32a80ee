public import SafeMapAPI
public import SafeMapCore
public import SwiftProtobuf

/// One place converts each enum of the contract: Core's type (whose raw value is the SQL text)
/// to and from the API's. Each conformance below is that enum's one table; `init(_:)`,
/// `init(sql:)` and `sql` follow from it.
public protocol ContractEnum: CaseIterable, Hashable, Sendable, RawRepresentable
where RawValue == String {
  associatedtype Message: SwiftProtobuf.Enum & Hashable
  /// This case in the API.
  var message: Message { get }
}

extension ContractEnum {
  /// The case an API value names; nil for `*_UNSPECIFIED` and values this build does not know.
  public init?(_ message: Message) {
    guard let found = Self.allCases.first(where: { $0.message == message }) else { return nil }
    self = found
  }

  /// The case SQL text names; nil for anything else.
  public init?(sql: String) {
    self.init(rawValue: sql)
  }

  /// The name SQL stores.
  public var sql: String { rawValue }

  /// The API value of SQL text; `*_UNSPECIFIED` (the zero value) for text no case has.
  public static func message(sql: String?) -> Message {
    sql.flatMap(Self.init(sql:))?.message ?? Message()
  }
}

extension Role: ContractEnum {
  public var message: Safemap_Common_V1_Role {
    switch self {
    case .ministryAdmin: .ministryAdmin
    case .provinceOfficer: .provinceOfficer
    case .districtOfficer: .districtOfficer
    case .zoneOfficer: .zoneOfficer
    case .healthInspector: .healthInspector
    case .facility: .facility
    }
  }
}

extension MapLevel: ContractEnum {
  public var message: Safemap_Common_V1_MapLevel {
    switch self {
    case .safe: .safe
    case .atRisk: .atRisk
    case .unsafe: .unsafe
    }
  }
}

extension FacilityStanding.Level: ContractEnum {
  public var message: Safemap_Common_V1_MapLevel {
    switch self {
    case .safe: .safe
    case .atRisk: .atRisk
    case .unsafe: .unsafe
    case .notAssessed: .notAssessed
    case .overdue: .overdue
    }
  }
}

extension RiskLevel: ContractEnum {
  public var message: Safemap_Common_V1_RiskLevel {
    switch self {
    case .veryLow: .veryLow
    case .low: .low
    case .medium: .medium
    case .high: .high
    case .veryHigh: .veryHigh
    }
  }
}

extension AssessmentKind: ContractEnum {
  public var message: Safemap_Common_V1_AssessmentKind {
    switch self {
    case .workplace: .workplace
    case .dormitory: .dormitory
    }
  }
}

extension OperatingStatus: ContractEnum {
  public var message: Safemap_Common_V1_OperatingStatus {
    switch self {
    case .active: .active
    case .suspended: .suspended
    case .closed: .closed
    }
  }
}

extension ZoneType: ContractEnum {
  public var message: Safemap_Common_V1_ZoneType {
    switch self {
    case .industrialZone: .industrialZone
    case .economicZone: .economicZone
    case .industrialCluster: .industrialCluster
    }
  }
}

extension UnitReport.UnitKind: ContractEnum {
  public var message: Safemap_Reporting_V1_ReportingUnit.Kind {
    switch self {
    case .district: .district
    case .zone: .zone
    }
  }
}

extension UnitReport.State: ContractEnum {
  public var message: Safemap_Reporting_V1_UnitReportState {
    switch self {
    case .submitted: .submitted
    case .returned: .returned
    case .accepted: .accepted
    case .reopened: .reopened
    }
  }

  /// A unit with no report at all is NOT_SUBMITTED.
  public static func message(_ state: Self?) -> Safemap_Reporting_V1_UnitReportState {
    state?.message ?? .notSubmitted
  }
}

extension UnitReport.ReviewAction: ContractEnum {
  public var message: Safemap_Reporting_V1_ReviewAction {
    switch self {
    case .accept: .accept
    case .return: .return
    case .reopen: .reopen
    }
  }
}

extension UnitReport.Timeliness: ContractEnum {
  public var message: Safemap_Reporting_V1_Timeliness {
    switch self {
    case .onTime: .onTime
    case .late: .late
    case .missing: .missing
    case .notExpected: .notExpected
    }
  }
}

extension Nomination.State: ContractEnum {
  public var message: Safemap_Account_V1_NominationState {
    switch self {
    case .submitted: .submitted
    case .needsInformation: .needsInformation
    case .approved: .approved
    case .rejected: .rejected
    case .issued: .issued
    }
  }
}

extension Nomination.ReviewAction: ContractEnum {
  public var message: Safemap_Account_V1_NominationReviewAction {
    switch self {
    case .approve: .approve
    case .reject: .reject
    case .askForInformation: .askForInformation
    }
  }
}

extension CredentialStatus: ContractEnum {
  public var message: Safemap_Account_V1_CredentialStatus {
    switch self {
    case .awaitingHandOut: .awaitingHandOut
    case .handedOut: .handedOut
    case .activated: .activated
    case .expired: .expired
    }
  }
}

extension HandOutMethod: ContractEnum {
  public var message: Safemap_Account_V1_HandOutMethod {
    switch self {
    case .issuerSheet: .issuerSheet
    case .sheet: .sheet
    case .letter: .letter
    }
  }
}
