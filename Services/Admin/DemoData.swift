import Foundation
import Logging
import PostgresNIO
import SafeMapCore

/// Demo zones and facilities for a local run: real zone names and districts of Phú Thọ and
/// Bình Phước, made-up facilities with valid tax codes and coordinates near their district.
/// Loading twice changes nothing.
enum DemoData {
  struct Zone {
    var name: String
    var type: String
    var district: String
  }

  static let zones: [String: [Zone]] = [
    "25": [
      Zone(name: "KCN Thụy Vân", type: "INDUSTRIAL_ZONE", district: "227"),
      Zone(name: "KCN Phú Hà", type: "INDUSTRIAL_ZONE", district: "228"),
      Zone(name: "CCN Bạch Hạc", type: "INDUSTRIAL_CLUSTER", district: "227"),
    ],
    "70": [
      Zone(name: "KCN Minh Hưng III", type: "INDUSTRIAL_ZONE", district: "697"),
      Zone(name: "KCN Đồng Xoài I", type: "INDUSTRIAL_ZONE", district: "689"),
      Zone(name: "CCN Tân Lập", type: "INDUSTRIAL_CLUSTER", district: "695"),
    ],
  ]

  /// Rough centre of each province, for plausible coordinates.
  static let centres: [String: (Double, Double)] = ["25": (21.32, 105.20), "70": (11.75, 106.72)]
  static let districts: [String: [String]] = [
    "25": [
      "227", "228", "230", "231", "232", "233", "234", "235", "236", "237", "238", "239", "240",
    ],
    "70": ["688", "689", "690", "691", "692", "693", "694", "695", "696", "697", "698"],
  ]
  static let sectors = ["Dệt may", "Da giày", "Điện tử", "Chế biến gỗ", "Thực phẩm", "Cơ khí"]

  /// Returns the number of facilities inserted.
  static func load(_ client: PostgresClient, logger: Logger) async throws -> Int {
    var inserted = 0
    for province in ["25", "70"] {
      inserted += try await client.withTransaction(logger: logger) { tx in
        try await tx.query(
          "SELECT set_config('app.province', \(province), true)",
          logger: logger
        )
        var zoneIDs: [UUID] = []
        for zone in zones[province] ?? [] {
          let id = UUID()
          let rows = try await tx.query(
            """
            INSERT INTO zones (province_code, zone_id, name, zone_type, district_code)
            VALUES (\(province), \(id), \(zone.name), \(zone.type), \(zone.district))
            ON CONFLICT (province_code, name) DO UPDATE SET name = excluded.name
            RETURNING zone_id
            """,
            logger: logger
          )
          for try await zoneID in rows.decode(UUID.self) { zoneIDs.append(zoneID) }
        }
        var count = 0
        let (lat, lon) = centres[province]!
        let districtList = districts[province]!
        for n in 1...60 {
          let taxCode = "\(province)\(String(format: "%08d", 10_000 + n))"
          let district = districtList[n % districtList.count]
          let zone: UUID? = n % 3 == 0 ? zoneIDs[n % zoneIDs.count] : nil
          let workers = [35, 120, 260, 640, 1_500, 6_000][n % 6]
          let area = Double(workers) * (n % 4 == 0 ? 0.8 : 3.5)
          let name = "Công ty TNHH Demo \(province)-\(n)"
          let search = SearchText.fold(name + " " + taxCode)
          let rows = try await tx.query(
            """
            INSERT INTO facilities (province_code, facility_id, name, tax_code, address,
              district_code, zone_id, sector, worker_count, workshop_area_m2, has_dormitory,
              dormitory_residents, contact_phone, contact_email, latitude, longitude, search_text)
            VALUES (\(province), \(UUID()), \(name), \(taxCode), \("Số \(n), đường Demo"),
              \(district), \(zone), \(sectors[n % sectors.count]), \(workers), \(area),
              \(n % 5 == 0), \(n % 5 == 0 ? workers / 3 : 0), \("0210" + String(format: "%07d", n)),
              \("demo\(n)@example.vn"), \(lat + Double(n % 10) * 0.02 - 0.1),
              \(lon + Double(n % 7) * 0.02 - 0.07), \(search))
            ON CONFLICT (province_code, tax_code) DO NOTHING
            RETURNING facility_id
            """,
            logger: logger
          )
          for try await _ in rows { count += 1 }
        }
        return count
      }
    }
    return inserted
  }
}
