import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

enum ZoneTypeName {
  static func message(_ name: String?) -> Safemap_Common_V1_ZoneType {
    switch name {
    case "INDUSTRIAL_ZONE": return .industrialZone
    case "ECONOMIC_ZONE": return .economicZone
    case "INDUSTRIAL_CLUSTER": return .industrialCluster
    default: return .unspecified
    }
  }

  static func sql(_ type: Safemap_Common_V1_ZoneType) -> String? {
    switch type {
    case .industrialZone: return "INDUSTRIAL_ZONE"
    case .economicZone: return "ECONOMIC_ZONE"
    case .industrialCluster: return "INDUSTRIAL_CLUSTER"
    default: return nil
    }
  }
}

enum OperatingStatusName {
  static func message(_ name: String) -> Safemap_Common_V1_OperatingStatus {
    switch name {
    case "ACTIVE": return .active
    case "SUSPENDED": return .suspended
    case "CLOSED": return .closed
    default: return .unspecified
    }
  }

  static func sql(_ status: Safemap_Common_V1_OperatingStatus) -> String? {
    switch status {
    case .active: return "ACTIVE"
    case .suspended: return "SUSPENDED"
    case .closed: return "CLOSED"
    default: return nil
    }
  }
}
