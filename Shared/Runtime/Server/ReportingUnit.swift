public import Foundation
public import GRPCCore
public import SafeMapAPI
public import SafeMapContract
public import SafeMapCore
import SwiftProtobuf

/// A unit that reports back to its province: a district, or a zone board for the facilities
/// inside its zone. Campaign sign-off, nomination drives and the credential hand-out all
/// count by it. A district is named by its code, a zone by its id in lower case (as SQL
/// stores it); equal by kind and code, the name is for display.
public struct ReportingUnit: Hashable, Sendable {
  public var kind: UnitReport.UnitKind
  public var code: String
  public var name = ""

  public static func == (a: ReportingUnit, b: ReportingUnit) -> Bool {
    a.kind == b.kind && a.code == b.code
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(kind)
    hasher.combine(code)
  }

  public init(kind: UnitReport.UnitKind, code: String, name: String = "") {
    self.kind = kind
    self.code = kind == .zone ? code.lowercased() : code
    self.name = name
  }

  /// The unit a request names in `field`; a district or zone officer that names none means
  /// its own.
  public init(_ message: Safemap_Reporting_V1_ReportingUnit, field: String, caller: Principal)
    throws
  {
    let unset = message.kind == .unspecified && message.code.isEmpty
    if unset, caller.role == .districtOfficer {
      self.init(kind: .district, code: caller.districtCode)
      return
    }
    if unset, caller.role == .zoneOfficer {
      self.init(kind: .zone, code: caller.zoneID)
      return
    }
    guard let kind = UnitReport.UnitKind(message.kind) else {
      throw RPCError(code: .invalidArgument, message: "\(field).kind: DISTRICT or ZONE")
    }
    let wellFormed =
      kind == .district
      ? DistrictCode.isWellFormed(message.code) : UUID(uuidString: message.code) != nil
    guard wellFormed else {
      throw RPCError(
        code: .invalidArgument,
        message: "\(field).code: "
          + (kind == .district ? "a district code of three digits" : "a zone id")
      )
    }
    self.init(kind: kind, code: message.code)
  }

  public var message: Safemap_Reporting_V1_ReportingUnit {
    .with {
      $0.kind = kind.message
      $0.code = code
      $0.name = name
    }
  }

  /// `DISTRICT/123` or `ZONE/<id>`: how the audit log and messages name the unit.
  public var label: String { "\(kind.sql)/\(code)" }
}
