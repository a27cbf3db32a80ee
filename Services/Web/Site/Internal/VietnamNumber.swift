import Foundation

/// Numbers as Vietnamese read them: `56.150` cơ sở, `87,5` %.
enum VietnamNumber {
  static let locale = Locale(identifier: "vi_VN")

  static func text<Number: BinaryInteger>(_ number: Number) -> String {
    Int(number).formatted(.number.locale(locale))
  }

  /// One decimal: index and rate percentages.
  static func decimal(_ number: Double) -> String {
    number.formatted(.number.precision(.fractionLength(1)).locale(locale))
  }
}
