public import SafeMapAPI
import SwiftProtobuf

/// Answers to the shipped catalogues (Decision 2194 and the dormitory set) that give known
/// levels, for every suite that needs a facility at a given colour.
public enum AssessmentAnswers {
  /// Every workplace criterion but the profile-computed CS1/CS2 at its lowest option, except
  /// `overrides` (criterion code → option code). As is, a 420-worker facility is SAFE;
  /// `["CS3": "CS3.F0"]` (a case at the workplace) knocks it out to UNSAFE.
  public static func workplace(_ overrides: [String: String] = [:])
    -> [Safemap_Assessment_V1_Answer]
  {
    (3...15).map { n in
      let code = "CS\(n)"
      return .with {
        $0.criterionCode = code
        $0.optionCode = overrides[code] ?? (n == 3 ? "CS3.NONE" : "\(code).0")
      }
    }
  }

  /// Every dormitory criterion but the profile-computed DR1 at its lowest option, except
  /// `overrides`. `["DR2": "DR2.2", "DR3": "DR3.2", "DR4": "DR4.2"]` with 120 residents is
  /// 40 %, AT_RISK.
  public static func dormitory(_ overrides: [String: String] = [:])
    -> [Safemap_Assessment_V1_Answer]
  {
    (2...10).map { n in
      let code = "DR\(n)"
      let lowest = n == 9 ? "DR9.NONE" : n == 10 ? "DR10.PRIVATE" : "\(code).0"
      return .with {
        $0.criterionCode = code
        $0.optionCode = overrides[code] ?? lowest
      }
    }
  }

  /// The dormitory answers that make a 120-resident dormitory AT_RISK.
  public static let atRiskDormitory = dormitory(["DR2": "DR2.2", "DR3": "DR3.2", "DR4": "DR4.2"])
}
