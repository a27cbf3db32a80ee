import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// Checks of facility input, named under `prefix` (`facility.` or `rows[3].facility.`).
enum FacilityInput {
  /// Format rules that need no database.
  static func violations(_ f: Safemap_Account_V1_Facility, prefix: String) -> FieldViolations {
    var v = FieldViolations()
    v.require(!f.name.trimmingCharacters(in: .whitespaces).isEmpty, prefix + "name", "required")
    v.require(f.name.count <= 300, prefix + "name", "at most 300 characters")
    v.require(TaxCode.isWellFormed(f.taxCode), prefix + "tax_code", TaxCode.rule)
    v.require(
      DistrictCode.isWellFormed(f.districtCode),
      prefix + "district_code",
      "required: three digits"
    )
    v.require(
      f.zoneID.isEmpty || UUID(uuidString: f.zoneID) != nil,
      prefix + "zone_id",
      "not a valid id"
    )
    v.require(f.workerCount >= 0, prefix + "worker_count", "must not be negative")
    v.require(
      f.workshopAreaM2 >= 0 && f.workshopAreaM2.isFinite,
      prefix + "workshop_area_m2",
      "must not be negative"
    )
    v.require(f.dormitoryResidents >= 0, prefix + "dormitory_residents", "must not be negative")
    v.require(
      f.hasDormitory_p || f.dormitoryResidents == 0,
      prefix + "dormitory_residents",
      "must be 0 without a dormitory"
    )
    v.require(
      f.contactPhone.isEmpty || Contact.isPhone(f.contactPhone),
      prefix + "contact_phone",
      "not a phone number"
    )
    v.require(
      f.contactEmail.isEmpty || Contact.isEmail(f.contactEmail),
      prefix + "contact_email",
      "not an e-mail address"
    )
    if f.hasLocation {
      v.require(
        VietnamBounds.contains(latitude: f.location.latitude, longitude: f.location.longitude),
        prefix + "location",
        "must lie inside Vietnam (latitude 8–23.5, longitude 102–117.5)"
      )
    }
    return v
  }

  /// Rules that need the province's reference data: district and zone in the province.
  static func referenceViolations(
    _ f: Safemap_Account_V1_Facility,
    province: String,
    prefix: String,
    on connection: PostgresConnection
  ) async throws -> FieldViolations {
    var v = FieldViolations()
    let districts = try await connection.query(
      "SELECT 1 FROM districts WHERE province_code = \(province) AND code = \(f.districtCode)",
      logger: connection.logger
    )
    var districtFound = false
    for try await _ in districts { districtFound = true }
    v.require(
      districtFound,
      prefix + "district_code",
      "\(f.districtCode) is not a district of province \(province)"
    )
    if let zone = UUID(uuidString: f.zoneID) {
      let zones = try await connection.query(
        "SELECT 1 FROM zones WHERE province_code = \(province) AND zone_id = \(zone)",
        logger: connection.logger
      )
      var zoneFound = false
      for try await _ in zones { zoneFound = true }
      v.require(zoneFound, prefix + "zone_id", "no such zone in province \(province)")
    }
    return v
  }
}

extension FieldViolations {
  /// The violations as carried in responses (per-row issuance errors).
  var messages: [Safemap_Common_V1_FieldViolation] {
    all.map { violation in
      .with {
        $0.field = violation.field
        $0.description_p = violation.description
      }
    }
  }
}
