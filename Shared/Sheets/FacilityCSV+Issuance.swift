import Crypto
public import Foundation
public import SafeMapAPI
import SwiftProtobuf

extension FacilityCSV {
  /// The batch's idempotency key: the same file for the same province is the same batch, so
  /// sending it again after a failure half-way returns what was issued instead of issuing
  /// twice.
  public static func batchRequestID(file: Data, province: String) -> String {
    SHA256.hash(data: file + Data(province.utf8))
      .map { String(format: "%02x", $0) }.joined().prefix(32).description
  }

  /// The rows' facilities by line, to name what each answer is about.
  public var facilitiesByLine: [Int: Safemap_Account_V1_Facility] {
    Dictionary(uniqueKeysWithValues: rows.map { ($0.line, $0.facility) })
  }

  /// What `IssueFacilityAccounts` is sent: the batch's options, then one message per row,
  /// numbered by the line it starts on.
  public func issuanceRequests(options: Safemap_Account_V1_IssuanceBatchOptions)
    -> [Safemap_Account_V1_IssueFacilityAccountsRequest]
  {
    [.with { $0.options = options }]
      + rows.map { row in
        .with {
          $0.row = .with {
            $0.rowNumber = Int32(row.line)
            $0.facility = row.facility
          }
        }
      }
  }
}

extension Safemap_Account_V1_IssuanceResult {
  /// Why a row was rejected, every violation: `field: description; …`.
  public var reason: String {
    violations.map { "\($0.field): \($0.description_p)" }.joined(separator: "; ")
  }
}
