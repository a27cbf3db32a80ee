import Foundation

/// The department's draft report to the province's People's Committee for a campaign, in the
/// order a 2021 letter gave its figures: accounts issued, stopped, active; assessed out of
/// active, inside and outside the zones; safe, unsafe, at risk; not assessed, inside and
/// outside; who reported. The wording is ours; the officer edits the draft before signing.
public enum CampaignLetter {
  /// One part of the province (inside or outside industrial and economic zones).
  public struct Part: Hashable, Sendable {
    public var issued = 0
    public var stopped = 0
    public var safe = 0
    public var atRisk = 0
    public var unsafe = 0
    /// Never assessed or overdue.
    public var notAssessed = 0

    public init(
      issued: Int = 0,
      stopped: Int = 0,
      safe: Int = 0,
      atRisk: Int = 0,
      unsafe: Int = 0,
      notAssessed: Int = 0
    ) {
      self.issued = issued
      self.stopped = stopped
      self.safe = safe
      self.atRisk = atRisk
      self.unsafe = unsafe
      self.notAssessed = notAssessed
    }

    public var active: Int { issued - stopped }
    public var assessed: Int { safe + atRisk + unsafe }

    public static func + (a: Part, b: Part) -> Part {
      Part(
        issued: a.issued + b.issued,
        stopped: a.stopped + b.stopped,
        safe: a.safe + b.safe,
        atRisk: a.atRisk + b.atRisk,
        unsafe: a.unsafe + b.unsafe,
        notAssessed: a.notAssessed + b.notAssessed
      )
    }
  }

  public struct Draft: Sendable {
    public var province: String
    public var campaign: String
    /// "20/9/2021" style, Vietnam's calendar.
    public var asOf: String
    public var inside: Part
    public var outside: Part
    /// Names of the units whose report counts, of those expected and not reported, and of the
    /// districts whose figures are live (no accepted report).
    public var reported: [String]
    public var expected: Int
    public var missing: [String]
    public var live: [String]

    public init(
      province: String,
      campaign: String,
      asOf: String,
      inside: Part,
      outside: Part,
      reported: [String],
      expected: Int,
      missing: [String],
      live: [String]
    ) {
      self.province = province
      self.campaign = campaign
      self.asOf = asOf
      self.inside = inside
      self.outside = outside
      self.reported = reported
      self.expected = expected
      self.missing = missing
      self.live = live
    }

    public var total: Part { inside + outside }

    public var paragraphs: [String] {
      let total = total
      var paragraphs = [
        "Thực hiện \(campaign), Sở Công Thương tỉnh \(province) báo cáo kết quả cập nhật, "
          + "đánh giá nguy cơ lây nhiễm COVID-19 tại các cơ sở sản xuất, kinh doanh trên địa "
          + "bàn tỉnh tính đến ngày \(asOf) như sau:",
        "Tổng số cơ sở đã được cấp tài khoản: \(total.issued) cơ sở; trong đó \(total.stopped) "
          + "cơ sở đã tạm dừng hoặc ngừng hoạt động, còn \(total.active) cơ sở đang hoạt động.",
        "Số cơ sở đã tự đánh giá: \(total.assessed)/\(total.active) cơ sở đang hoạt động "
          + "(\(percent(total.assessed, of: total.active))), gồm \(inside.assessed) cơ sở "
          + "trong các khu công nghiệp, khu kinh tế và \(outside.assessed) cơ sở ngoài các khu. "
          + "Kết quả: \(total.safe) cơ sở an toàn, \(total.unsafe) cơ sở không an toàn và "
          + "\(total.atRisk) cơ sở có nguy cơ (danh sách cơ sở có nguy cơ và không an toàn tại "
          + "Phụ lục 2).",
        "Số cơ sở chưa đánh giá hoặc đã quá hạn đánh giá lại: "
          + "\(total.notAssessed)/\(total.active) cơ sở, gồm \(inside.notAssessed) cơ sở trong "
          + "các khu công nghiệp, khu kinh tế và \(outside.notAssessed) cơ sở ngoài các khu "
          + "(danh sách tại Phụ lục 1).",
        "Đơn vị đã gửi báo cáo: \(reported.count)/\(expected) đơn vị"
          + (reported.isEmpty ? "." : " (\(reported.joined(separator: ", ")))."),
      ]
      if !missing.isEmpty {
        paragraphs.append(
          "Đơn vị chưa gửi báo cáo: \(missing.count) đơn vị (\(missing.joined(separator: ", ")))."
        )
      }
      if !live.isEmpty {
        paragraphs.append(
          "Số liệu của \(live.joined(separator: ", ")) là số liệu trên hệ thống tại thời điểm "
            + "lập báo cáo, do đơn vị chưa có báo cáo được Sở chấp nhận."
        )
      }
      return paragraphs
    }

    /// "67,1 %" (a comma before the decimal, as Vietnamese writes it).
    private func percent(_ part: Int, of whole: Int) -> String {
      guard whole > 0 else { return "0 %" }
      let tenths = Int((Double(part) * 1000 / Double(whole)).rounded())
      return "\(tenths / 10),\(tenths % 10) %"
    }
  }
}

/// Vietnam's calendar (UTC+7 all year) for what a letter prints.
public enum VietnamCalendar {
  /// "20/9/2021": the day an instant falls on in Vietnam.
  public static func day(_ date: Date) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 7 * 3_600)!
    let parts = calendar.dateComponents([.day, .month, .year], from: date)
    return "\(parts.day ?? 0)/\(parts.month ?? 0)/\(parts.year ?? 0)"
  }
}
