import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import SafeMapAPI
import SafeMapCore
import SwiftProtobuf

/// The facility's self-assessment: a form generated from the active catalogue of the kind
/// (`/assess?kind=workplace|dormitory`), one block of criteria per unit (workshop, building),
/// criteria the server computes from the profile shown as computed; the server's violations
/// shown beside their fields; the result (`/assessments/:id`) with colour, level, index and the
/// criteria that weighed most.
struct AssessmentPages {
  let site: Site
  static let maximumUnits = 20

  func register(_ routes: Routes) {
    routes.facilities.get("/assess") { request, context in try await form(request, context) }
    routes.facilities.post("/assess") { request, context in try await submit(request, context) }
    routes.signedIn.get("/assessments/:id") { request, context in try await result(request, context)
    }
  }

  struct AssessPage {
    var chrome: Chrome
    var kind: String
    var kindName: String
    var catalogueTitle: String
    var catalogueVersion: Int32
    var requestID: String
    var unitCount: Int
    var units: [UnitForm]
    var errors: [String]
    /// How many problems the service found (beside fields and above the form).
    var problemCount: Int
    var moreUnits: String?
    var fewerUnits: String?
  }

  struct UnitForm {
    var number: Int
    var nameField: String
    var name: String
    var nameError: String?
    var criteria: [CriterionForm]
  }

  struct CriterionForm {
    var code: String
    var title: String
    /// nil when empty: a mustache section renders for any string, even an empty one.
    var description: String?
    var field: String
    var computed: Bool
    var computedText: String
    var options: [OptionForm]
    var error: String?
    var errorID: String
  }

  struct OptionForm {
    var id: String
    var code: String
    var label: String
    var points: Int32
    var checked: Bool
  }

  static func kind(_ text: String?) throws -> (String, Safemap_Common_V1_AssessmentKind) {
    switch text ?? "workplace" {
    case "workplace": return ("workplace", .workplace)
    case "dormitory": return ("dormitory", .dormitory)
    default: throw WebError.badRequest("kind: workplace hoặc dormitory.")
    }
  }

  /// What the form was filled with: unit names and chosen options by field name.
  struct Filled {
    var units: Int
    var values: [String: String]
    var violations: [String: String] = [:]
    var errors: [String] = []
  }

  func form(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let (kindKey, kind) = try Self.kind(request.uri.queryParameters["kind"].map(String.init))
    let units = Int(request.uri.queryParameters["units"].map(String.init) ?? "1") ?? 1
    guard (1...Self.maximumUnits).contains(units) else {
      throw WebError.badRequest("units: từ 1 đến \(Self.maximumUnits) đơn vị.")
    }
    return try await render(
      session,
      context,
      kindKey: kindKey,
      kind: kind,
      filled: Filled(units: units, values: [:]),
      requestID: Secret.randomToken(),
      status: .ok
    )
  }

  private func render(
    _ session: WebSession,
    _ context: WebContext,
    kindKey: String,
    kind: Safemap_Common_V1_AssessmentKind,
    filled: Filled,
    requestID: String,
    status: HTTPResponse.Status
  ) async throws -> Response {
    let metadata = try await site.metadata(context)
    async let catalogueCall = site.backend.assessments.getCatalogue(
      .with { $0.kind = kind },
      metadata: metadata
    )
    async let facilityCall = site.backend.facilities.getFacility(
      .with {
        $0.provinceCode = session.account.provinceCode
        $0.facilityID = session.account.facilityID
      },
      metadata: metadata
    )
    let catalogue = try await catalogueCall.catalogue
    let facility = try await facilityCall.facility
    if kind == .dormitory && !facility.hasDormitory_p {
      throw WebError.badRequest(
        "Cơ sở không có khu lưu trú công nhân: chỉ tự đánh giá nơi làm việc."
      )
    }
    let profile = FacilityProfile(
      workerCount: Int(facility.workerCount),
      workshopAreaM2: facility.workshopAreaM2,
      dormitoryResidents: Int(facility.dormitoryResidents)
    )
    let units = (0..<filled.units).map { i in
      let prefix = "unit\(i)"
      return UnitForm(
        number: i + 1,
        nameField: "\(prefix)_name",
        name: filled.values["\(prefix)_name"] ?? (filled.units == 1 ? "Toàn cơ sở" : ""),
        nameError: filled.violations["\(prefix)_name"],
        criteria: catalogue.criteria.map { criterion in
          let field = "\(prefix)_\(criterion.code)"
          let computed = Self.computedOption(criterion, profile: profile)
          return CriterionForm(
            code: criterion.code,
            title: criterion.title,
            description: criterion.description_p.isEmpty ? nil : criterion.description_p,
            field: field,
            computed: computed != nil,
            computedText: computed.map {
              "Tính từ hồ sơ cơ sở (\(Self.profileText(criterion.profileSource, facility))): \($0.label)"
            } ?? "",
            options: criterion.options.enumerated().map { j, option in
              OptionForm(
                id: "\(field)_\(j)",
                code: option.code,
                label: option.label,
                points: option.points,
                checked: filled.values[field] == option.code
              )
            },
            error: filled.violations[field],
            errorID: "\(field)_error"
          )
        }
      )
    }
    var more: String?
    var fewer: String?
    if filled.units < Self.maximumUnits {
      more = "/assess?kind=\(kindKey)&units=\(filled.units + 1)"
    }
    if filled.units > 1 { fewer = "/assess?kind=\(kindKey)&units=\(filled.units - 1)" }
    let kindName = FacilityPages.kindName(kind)
    return site.templates.page(
      "assess",
      AssessPage(
        chrome: Chrome(title: "Tự đánh giá: \(kindName)", session: session),
        kind: kindKey,
        kindName: kindName,
        catalogueTitle: catalogue.title,
        catalogueVersion: catalogue.version,
        requestID: requestID,
        unitCount: filled.units,
        units: units,
        errors: filled.errors,
        problemCount: filled.errors.count + filled.violations.count,
        moreUnits: more,
        fewerUnits: fewer
      ),
      status: status
    )
  }

  /// The option the server computes for a profile criterion, nil for criteria the facility
  /// answers.
  static func computedOption(
    _ criterion: Safemap_Assessment_V1_Criterion,
    profile: FacilityProfile
  ) -> Safemap_Assessment_V1_CriterionOption? {
    let source: ScoringCatalogue.ProfileSource
    switch criterion.profileSource {
    case .workerCount: source = .workerCount
    case .areaPerWorker: source = .areaPerWorker
    case .dormitoryResidents: source = .dormitoryResidents
    default: return nil
    }
    let value = profile.value(source)
    return criterion.options.first { option in
      ScoringCatalogue.Option(
        code: option.code,
        points: Int(option.points),
        rangeMin: option.hasRangeMin ? option.rangeMin : nil,
        rangeMax: option.hasRangeMax ? option.rangeMax : nil
      ).contains(value)
    }
  }

  static func profileText(
    _ source: Safemap_Assessment_V1_ProfileSource,
    _ facility: Safemap_Account_V1_Facility
  ) -> String {
    switch source {
    case .workerCount: "\(facility.workerCount) lao động"
    case .areaPerWorker:
      facility.workerCount == 0
        ? "chưa có số lao động"
        : String(
          format: "%.1f m² mỗi lao động",
          facility.workshopAreaM2 / Double(facility.workerCount)
        )
    case .dormitoryResidents: "\(facility.dormitoryResidents) người lưu trú"
    default: ""
    }
  }

  func submit(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let form = try await Form.read(request, context: context)
    let (kindKey, kind) = try Self.kind(form["kind"])
    let units = Int(form["units"] ?? "") ?? 0
    guard (1...Self.maximumUnits).contains(units) else {
      throw WebError.badRequest("units: từ 1 đến \(Self.maximumUnits) đơn vị.")
    }
    let requestID = try form.text("request_id", label: "Mã yêu cầu", maximum: 64)
    let metadata = try await site.metadata(context)
    let catalogue = try await site.backend.assessments.getCatalogue(
      .with { $0.kind = kind },
      metadata: metadata
    ).catalogue
    // The answers in catalogue order, so a violation's index names its criterion.
    var values: [String: String] = [:]
    var answered: [[String]] = []
    var request = Safemap_Assessment_V1_SubmitAssessmentRequest()
    request.requestID = "web-\(requestID)"
    request.provinceCode = session.account.provinceCode
    request.facilityID = session.account.facilityID
    request.kind = kind
    request.catalogueVersion = catalogue.version
    for i in 0..<units {
      let name = try form.text(
        "unit\(i)_name",
        label: "Tên đơn vị \(i + 1)",
        required: false,
        maximum: 200
      )
      values["unit\(i)_name"] = name
      var unit = Safemap_Assessment_V1_AssessmentUnit()
      unit.unitName = name
      var codes: [String] = []
      for criterion in catalogue.criteria {
        let field = "unit\(i)_\(criterion.code)"
        guard let option = form[field], !option.isEmpty else { continue }
        values[field] = option
        unit.answers.append(
          .with {
            $0.criterionCode = criterion.code
            $0.optionCode = String(option.prefix(64))
          }
        )
        codes.append(criterion.code)
      }
      answered.append(codes)
      request.units.append(unit)
    }
    do {
      let response = try await site.backend.assessments.submitAssessment(
        request,
        metadata: metadata
      )
      return .redirect(to: "/assessments/\(response.assessment.assessmentID)", type: .found)
    } catch let error as RPCError where error.code == .invalidArgument {
      var filled = Filled(units: units, values: values)
      Self.place(error.message, answered: answered, into: &filled)
      return try await render(
        session,
        context,
        kindKey: kindKey,
        kind: kind,
        filled: filled,
        requestID: Secret.randomToken(),
        status: .badRequest
      )
    }
  }

  /// Puts each `path: description` of the service's message beside its field: `units[i]
  /// .unit_name`, `units[i].answers[j].…` (the j-th answer sent), `units[i].answers` naming a
  /// criterion not answered; anything else goes above the form.
  static func place(_ message: String, answered: [[String]], into filled: inout Filled) {
    for part in message.components(separatedBy: "; ") {
      guard let colon = part.range(of: ": ") else {
        filled.errors.append(part)
        continue
      }
      let path = String(part[..<colon.lowerBound])
      let text = String(part[colon.upperBound...])
      let numbers = path.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
      if path.hasPrefix("units["), let unit = numbers.first, unit < answered.count {
        if path.hasSuffix(".unit_name") {
          filled.violations["unit\(unit)_name"] = vietnamese(text)
          continue
        }
        if path.contains(".answers["), numbers.count >= 2, numbers[1] < answered[unit].count {
          filled.violations["unit\(unit)_\(answered[unit][numbers[1]])"] = vietnamese(text)
          continue
        }
        if path.hasSuffix(".answers"), let code = text.split(separator: " ").first {
          filled.violations["unit\(unit)_\(code)"] = vietnamese(text)
          continue
        }
      }
      filled.errors.append(vietnamese(part))
    }
  }

  static func vietnamese(_ text: String) -> String {
    if text.hasSuffix("is not answered") { return "Chưa chọn." }
    if text.contains("is not an option") { return "Lựa chọn không hợp lệ." }
    if text.contains("contradicts the facility profile") {
      return "Không khớp với hồ sơ cơ sở."
    }
    if text == "required" { return "Bắt buộc." }
    if text.hasSuffix("appears twice") { return "Trùng tên với đơn vị khác." }
    return text
  }
}
