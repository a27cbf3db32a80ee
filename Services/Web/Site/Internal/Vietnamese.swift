import SafeMapAPI

/// The words the pages use for the contract's enums, in one place.
enum Vietnamese {
  static func role(_ role: Safemap_Common_V1_Role) -> String {
    switch role {
    case .ministryAdmin: "Bộ Công Thương"
    case .provinceOfficer: "Sở Công Thương"
    case .districtOfficer: "UBND cấp huyện"
    case .zoneOfficer: "Ban quản lý khu, cụm công nghiệp"
    case .healthInspector: "Ngành y tế"
    case .facility: "Cơ sở sản xuất"
    default: "Tài khoản"
    }
  }

  /// A map level: its words, its CSS class and its short letter (colour is never the only
  /// signal: points carry the letter, tables the words).
  struct Level: Sendable {
    var mapLevel: Safemap_Common_V1_MapLevel
    var key: String
    var name: String
    var cssClass: String
    var letter: String
  }

  static let levels: [Level] = [
    Level(mapLevel: .safe, key: "SAFE", name: "An toàn", cssClass: "safe", letter: "A"),
    Level(mapLevel: .atRisk, key: "AT_RISK", name: "Có nguy cơ", cssClass: "at-risk", letter: "N"),
    Level(
      mapLevel: .unsafe,
      key: "UNSAFE",
      name: "Không an toàn",
      cssClass: "unsafe",
      letter: "K"
    ),
    Level(
      mapLevel: .overdue,
      key: "OVERDUE",
      name: "Quá hạn đánh giá",
      cssClass: "overdue",
      letter: "Q"
    ),
    Level(
      mapLevel: .notAssessed,
      key: "NOT_ASSESSED",
      name: "Chưa đánh giá",
      cssClass: "not-assessed",
      letter: "C"
    ),
  ]

  /// A level's words; anything unknown reads as not assessed.
  static func level(_ level: Safemap_Common_V1_MapLevel) -> Level {
    levels.first { $0.mapLevel == level } ?? levels[levels.count - 1]
  }

  static func level(key: String) -> Safemap_Common_V1_MapLevel? {
    levels.first { $0.key == key }?.mapLevel
  }
}

extension Vietnamese {
  static func unitState(_ state: Safemap_Reporting_V1_UnitReportState) -> String {
    switch state {
    case .submitted: "Đã gửi, chờ Sở xem xét"
    case .returned: "Sở trả lại"
    case .accepted: "Sở đã chấp nhận"
    case .reopened: "Sở mở lại"
    default: "Chưa gửi"
    }
  }

  static func timeliness(_ timeliness: Safemap_Reporting_V1_Timeliness) -> String {
    switch timeliness {
    case .onTime: "Đúng hạn"
    case .late: "Muộn"
    case .missing: "Chưa có"
    case .notExpected: "Không phải báo cáo (không có cơ sở hoạt động)"
    default: ""
    }
  }
}

extension Vietnamese {
  static func nominationState(_ state: Safemap_Account_V1_NominationState) -> String {
    switch state {
    case .submitted: "Chờ Sở xem xét"
    case .needsInformation: "Sở yêu cầu bổ sung thông tin"
    case .approved: "Sở đã duyệt, chờ cấp tài khoản"
    case .rejected: "Sở không duyệt"
    case .issued: "Đã cấp tài khoản"
    default: ""
    }
  }

  static func credentialStatus(_ status: Safemap_Account_V1_CredentialStatus) -> String {
    switch status {
    case .awaitingHandOut: "Chờ giao cho cơ sở"
    case .handedOut: "Đã giao, cơ sở chưa đăng nhập"
    case .activated: "Cơ sở đã đăng nhập"
    case .expired: "Mật khẩu một lần hết hạn, cần cấp lại"
    default: ""
    }
  }
}
