import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// The facility checks of ``AccessPolicy`` in the shapes the handlers hold.
enum FacilityScope {
  static func canRead(_ p: Principal, _ f: Safemap_Account_V1_Facility) -> Bool {
    AccessPolicy.canRead(
      p,
      .init(
        province: f.provinceCode,
        district: f.districtCode,
        zone: f.zoneID,
        facility: f.facilityID
      )
    )
  }

  /// Registering facilities and zones, setting operating status, issuing accounts.
  static func requireAdministrator(_ p: Principal) throws {
    guard AccessPolicy.mayAdministerRegistry(p) else {
      throw RPCError(
        code: .permissionDenied,
        message: "only the ministry or a province officer may change the registry"
      )
    }
  }
}
