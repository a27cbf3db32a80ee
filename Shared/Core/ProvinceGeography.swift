import Foundation

/// Where facilities lie and how many each province has, for the national data sets: the
/// reporting benchmark's 500,000 facilities and `make run`'s national demo. Centres are
/// approximate; districts sit on a grid of 0.1° cells around them, so every location is inside
/// (or very near) its province.
public enum ProvinceGeography {
  /// The largest province and its share.
  public static let largest = "74"
  static let fixedSizes: [String: Double] = [
    "74": 0.12, "79": 0.104, "01": 0.09, "75": 0.07, "31": 0.04, "27": 0.032, "80": 0.028,
    "26": 0.02, "30": 0.02,
  ]

  /// Approximate centres, for locations inside each province.
  public static let centres: [String: (Double, Double)] = [
    "01": (21.03, 105.85), "02": (22.80, 104.98), "04": (22.67, 106.25), "06": (22.15, 105.83),
    "08": (21.82, 105.21), "10": (22.48, 103.97), "11": (21.39, 103.02), "12": (22.40, 103.45),
    "14": (21.33, 103.91), "15": (21.72, 104.90), "17": (20.81, 105.34), "19": (21.59, 105.84),
    "20": (21.85, 106.76), "22": (21.01, 107.29), "24": (21.27, 106.19), "25": (21.32, 105.20),
    "26": (21.31, 105.60), "27": (21.18, 106.07), "30": (20.94, 106.31), "31": (20.84, 106.69),
    "33": (20.65, 106.05), "34": (20.45, 106.34), "35": (20.54, 105.91), "36": (20.42, 106.17),
    "37": (20.25, 105.97), "38": (19.81, 105.78), "40": (19.23, 104.92), "42": (18.34, 105.90),
    "44": (17.47, 106.62), "45": (16.75, 107.19), "46": (16.46, 107.59), "48": (16.05, 108.20),
    "49": (15.57, 108.47), "51": (15.12, 108.80), "52": (13.78, 109.22), "54": (13.09, 109.09),
    "56": (12.24, 109.19), "58": (11.57, 108.99), "60": (10.93, 108.10), "62": (14.35, 108.00),
    "64": (13.98, 108.00), "66": (12.67, 108.04), "67": (12.00, 107.69), "68": (11.94, 108.44),
    "70": (11.75, 106.72), "72": (11.31, 106.10), "74": (11.17, 106.65), "75": (10.95, 106.82),
    "77": (10.50, 107.17), "79": (10.82, 106.63), "80": (10.54, 106.41), "82": (10.36, 106.36),
    "83": (10.24, 106.38), "84": (9.93, 106.34), "86": (10.25, 105.97), "87": (10.49, 105.69),
    "89": (10.52, 105.13), "91": (10.01, 105.08), "92": (10.05, 105.75), "93": (9.78, 105.47),
    "94": (9.60, 105.97), "95": (9.29, 105.72), "96": (9.18, 105.15),
  ]

  /// Where district `k` of a province lies: a grid of 0.1° cells around the centre.
  public static func districtCentre(province: String, index k: Int) -> (Double, Double) {
    let (lat, lon) = centres[province]!
    return (lat - 0.15 + 0.1 * Double(k / 4), lon - 0.15 + 0.1 * Double(k % 4))
  }

  /// Facilities per province, summing to `facilities`.
  public static func sizes(facilities: Int) -> [(String, Int)] {
    let codes = centres.keys.sorted()
    let rest = codes.filter { fixedSizes[$0] == nil }
    let restShare = 1 - fixedSizes.values.reduce(0, +)
    // Smaller provinces vary around their average (0.5× to 1.5×), deterministically.
    let weights = rest.enumerated().map { 1 + 0.5 * sin(Double($0.offset) * 2.3) }
    let weightSum = weights.reduce(0, +)
    var sizes: [(String, Int)] = codes.compactMap { code in
      fixedSizes[code].map { (code, Int(Double(facilities) * $0)) }
    }
    for (code, weight) in zip(rest, weights) {
      sizes.append((code, Int(Double(facilities) * restShare * weight / weightSum)))
    }
    let missing = facilities - sizes.map(\.1).reduce(0, +)
    if let index = sizes.firstIndex(where: { $0.0 == "01" }) { sizes[index].1 += missing }
    return sizes.sorted { $0.0 < $1.0 }
  }
}
