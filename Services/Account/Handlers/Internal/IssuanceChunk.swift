import Foundation
import GRPCCore
import PostgresNIO
import SafeMapAPI
import SafeMapAuth
import SafeMapContract
import SafeMapCore
import SwiftProtobuf

/// Set-based issuance of a chunk of rows in one transaction: a handful of statements for
/// hundreds of rows instead of several per row. Rows are validated in memory against the
/// province's districts and zones (loaded once per batch). When the set-based path meets a
/// conflict (another batch issuing the same facility at the same moment), the caller falls
/// back to row-by-row issuance for the chunk.
struct IssuanceChunk {
  struct Prepared {
    var index: Int
    var row: Safemap_Account_V1_IssuanceRow
  }

  /// The province's reference data, loaded once per batch.
  struct References {
    var districts: Set<String>
    var zones: Set<UUID>

    static func load(province: String, on connection: PostgresConnection) async throws -> References
    {
      var districts: Set<String> = []
      for try await code in try await connection.query(
        "SELECT code FROM districts WHERE province_code = \(province)",
        logger: connection.logger
      ).decode(String.self) {
        districts.insert(code)
      }
      var zones: Set<UUID> = []
      for try await id in try await connection.query(
        "SELECT zone_id FROM zones WHERE province_code = \(province)",
        logger: connection.logger
      ).decode(UUID.self) {
        zones.insert(id)
      }
      return References(districts: districts, zones: zones)
    }

    func violations(_ f: Safemap_Account_V1_Facility, province: String) -> FieldViolations {
      var v = FieldViolations()
      v.require(
        districts.contains(f.districtCode),
        "facility.district_code",
        "\(f.districtCode) is not a district of province \(province)"
      )
      if let zone = UUID(uuidString: f.zoneID) {
        v.require(zones.contains(zone), "facility.zone_id", "no such zone in province \(province)")
      }
      return v
    }
  }

  /// A concurrent writer got in the way. An `RPCError`, since the tenant transaction maps
  /// every other error to INTERNAL; never sent to a client (the chunk is retried row by row).
  static let conflict = RPCError(
    code: .aborted,
    message: "a concurrent batch issued some of these facilities"
  )

  /// Whether `error` means another transaction committed the same rows first: a set-based
  /// insert that found some taken, a unique key hit, a serialization failure or a deadlock.
  static func isConflict(_ error: RPCError) -> Bool {
    error.code == .aborted || error.code == .alreadyExists
  }

  /// Issues accounts for `rows` (all valid, distinct tax codes) in one transaction; returns
  /// each row's result. Throws ``conflict`` when a concurrent writer got in the way. Rows are
  /// written in tax-code order, so two batches with overlapping rows wait for each other
  /// instead of deadlocking.
  static func issue(
    _ rows: [Safemap_Account_V1_IssuanceRow],
    province: String,
    actor: UUID?,
    oneTimePasswordLifetime: TimeInterval,
    handOut: Bool,
    on connection: PostgresConnection
  ) async throws -> [Safemap_Account_V1_IssuanceResult] {
    let logger = connection.logger
    let taxCodes = rows.map(\.facility.taxCode)
    // Facilities already registered, with their account if any.
    var existing: [String: (UUID, String?)] = [:]
    let found = try await connection.query(
      """
      SELECT f.tax_code, f.facility_id, a.username FROM facilities f
      LEFT JOIN accounts a ON a.province_code = f.province_code AND a.facility_id = f.facility_id
      WHERE f.province_code = \(province) AND f.tax_code = ANY(\(taxCodes))
      """,
      logger: logger
    )
    for try await (tax, id, username) in found.decode((String, UUID, String?).self) {
      existing[tax] = (id, username)
    }

    // New facilities.
    let new = rows.filter { existing[$0.facility.taxCode] == nil }.map(\.facility)
      .sorted { $0.taxCode < $1.taxCode }
    if !new.isEmpty {
      let ids = new.map { _ in UUID() }
      let inserted = try await connection.query(
        """
        INSERT INTO facilities (province_code, facility_id, name, tax_code, address, district_code,
          zone_id, sector, worker_count, workshop_area_m2, has_dormitory, dormitory_residents,
          contact_phone, contact_email, latitude, longitude, search_text)
        SELECT \(province), id, name, tax, address, district, NULLIF(zone, '')::uuid, sector,
          workers, area, dormitory, residents, phone, email, NULLIF(lat, 'NaN'),
          NULLIF(lon, 'NaN'), search
        FROM unnest(\(ids), \(new.map(\.name)), \(new.map(\.taxCode)), \(new.map(\.address)),
          \(new.map(\.districtCode)), \(new.map(\.zoneID)), \(new.map(\.sector)),
          \(new.map { Int($0.workerCount) }), \(new.map(\.workshopAreaM2)),
          \(new.map(\.hasDormitory_p)), \(new.map { Int($0.dormitoryResidents) }),
          \(new.map(\.contactPhone)), \(new.map(\.contactEmail)),
          \(new.map { $0.hasLocation ? $0.location.latitude : .nan }),
          \(new.map { $0.hasLocation ? $0.location.longitude : .nan }),
          \(new.map { SearchText.fold($0.name + " " + $0.taxCode) }))
          AS r(id, name, tax, address, district, zone, sector, workers, area, dormitory,
               residents, phone, email, lat, lon, search)
        ON CONFLICT (province_code, tax_code) DO NOTHING
        RETURNING tax_code
        """,
        logger: logger
      )
      var count = 0
      for try await _ in inserted { count += 1 }
      guard count == new.count else { throw conflict }
      try await connection.query(
        """
        INSERT INTO operating_status_changes (province_code, facility_id, status, reason,
          effective_date, changed_by)
        SELECT \(province), id, 'ACTIVE', 'registered by bulk issuance',
          (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, \(actor)
        FROM unnest(\(ids)) AS r(id)
        """,
        logger: logger
      )
      for (facility, id) in zip(new, ids) { existing[facility.taxCode] = (id, nil) }
    }

    // Accounts for facilities without one; the tax code is the username, with the province
    // appended when another province already uses it (a branch registered twice).
    let needing = rows.map(\.facility).filter { existing[$0.taxCode]?.1 == nil }
      .sorted { $0.taxCode < $1.taxCode }
    var usernames: [String: String] = [:]
    var passwords: [String: String] = [:]
    if !needing.isEmpty {
      var taken: Set<String> = []
      let candidates = needing.map { $0.taxCode.lowercased() }
      for try await key in try await connection.query(
        "SELECT username_key FROM account_directory WHERE username_key = ANY(\(candidates))",
        logger: logger
      ).decode(String.self) {
        taken.insert(key)
      }
      for f in needing {
        usernames[f.taxCode] = taken.contains(f.taxCode) ? "\(f.taxCode).\(province)" : f.taxCode
        passwords[f.taxCode] = Credentials.oneTimePassword()
      }
      let accountIDs = needing.map { _ in UUID() }
      let names = needing.map { usernames[$0.taxCode]! }
      let directory = try await connection.query(
        """
        INSERT INTO account_directory (username_key, account_id, province_code)
        SELECT lower(name), id, \(province) FROM unnest(\(names), \(accountIDs)) AS r(name, id)
        ON CONFLICT (username_key) DO NOTHING RETURNING 1
        """,
        logger: logger
      )
      var count = 0
      for try await _ in directory { count += 1 }
      guard count == needing.count else { throw conflict }
      let expiresAt = Date().addingTimeInterval(oneTimePasswordLifetime)
      let handedOut = handOut ? nil : HandOutMethod.issuerSheet.sql
      try await connection.query(
        """
        INSERT INTO accounts (province_code, account_id, username, role, facility_id, display_name,
          email, phone, password_hash, one_time_password_expires_at, created_by, handed_out_at,
          handed_out_by, hand_out_method)
        SELECT \(province), id, name, 'FACILITY', facility, display, email, phone, hash,
          \(expiresAt), \(actor), CASE WHEN \(handedOut)::text IS NULL THEN NULL ELSE now() END,
          CASE WHEN \(handedOut)::text IS NULL THEN NULL ELSE \(actor) END, \(handedOut)
        FROM unnest(\(accountIDs), \(names), \(needing.map { existing[$0.taxCode]!.0 }),
          \(needing.map(\.name)), \(needing.map(\.contactEmail)), \(needing.map(\.contactPhone)),
          \(needing.map { Credentials.oneTimePasswordHash(passwords[$0.taxCode]!) }))
          AS r(id, name, facility, display, email, phone, hash)
        """,
        logger: logger
      )
      // For a hand-out the password just hashed is forgotten: nobody knows it until the unit
      // hands out a new one.
      if handOut { passwords = [:] }
      let expiry = Google_Protobuf_Timestamp(date: expiresAt)
      return rows.map { row in
        result(row, existing: existing, usernames: usernames, passwords: passwords, expiry: expiry)
      }
    }
    return rows.map { row in
      result(row, existing: existing, usernames: [:], passwords: [:], expiry: nil)
    }
  }

  private static func result(
    _ row: Safemap_Account_V1_IssuanceRow,
    existing: [String: (UUID, String?)],
    usernames: [String: String],
    passwords: [String: String],
    expiry: Google_Protobuf_Timestamp?
  ) -> Safemap_Account_V1_IssuanceResult {
    let tax = row.facility.taxCode
    return .with {
      $0.rowNumber = row.rowNumber
      $0.facilityID = existing[tax]?.0.uuidString.lowercased() ?? ""
      if let username = usernames[tax] {
        $0.outcome = .issued
        $0.username = username
        if let password = passwords[tax], let expiry {
          $0.initialPassword = password
          $0.initialPasswordExpireTime = expiry
        }
      } else {
        $0.outcome = .alreadyIssued
        $0.username = existing[tax]?.1 ?? ""
      }
    }
  }
}
