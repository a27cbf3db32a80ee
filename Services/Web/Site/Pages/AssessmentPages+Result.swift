import Foundation
import GRPCCore
import Hummingbird
import SafeMapAPI
import SwiftProtobuf

/// The result of a self-assessment (`/assessments/:id`): colour, level, risk, index, each
/// unit, and the criteria that weighed most.
extension AssessmentPages {
  struct ResultPage {
    var chrome: Chrome
    var kindName: String
    var level: Vietnamese.Level
    var risk: String
    var index: String
    var score: Int32
    var maxPoints: Int32
    var submitted: String
    var validUntil: String
    var units: [UnitRow]
    var top: [TopRow]
    var facilityLink: String
  }

  struct UnitRow {
    var name: String
    var level: Vietnamese.Level
    var index: String
    var score: Int32
    var knockedOut: String
  }

  struct TopRow {
    var code: String
    var title: String
    var unit: String
    var points: Int32
  }

  static func riskName(_ risk: Safemap_Common_V1_RiskLevel) -> String {
    switch risk {
    case .veryLow: "Rất thấp"
    case .low: "Thấp"
    case .medium: "Trung bình"
    case .high: "Cao"
    case .veryHigh: "Rất cao"
    default: "—"
    }
  }

  func result(_ request: Request, _ context: WebContext) async throws -> Response {
    let session = try context.signedIn
    let id = try context.parameters.require("id")
    guard UUID(uuidString: id) != nil else { throw WebError.notFound("Không có kết quả này.") }
    let province =
      request.uri.queryParameters["province"].map(String.init) ?? session.account.provinceCode
    let assessment = try await site.backend.assessments.getAssessment(
      .with {
        $0.provinceCode = province
        $0.assessmentID = id
      },
      metadata: try await site.metadata(context)
    ).assessment
    return site.templates.page(
      "result",
      ResultPage(
        chrome: Chrome(title: "Kết quả tự đánh giá", session: session),
        kindName: FacilityPages.kindName(assessment.kind),
        level: Vietnamese.level(assessment.mapLevel),
        risk: Self.riskName(assessment.riskLevel),
        index: VietnamNumber.decimal(assessment.indexPercent),
        score: assessment.score,
        maxPoints: assessment.maxPoints,
        submitted: VietnamTime.text(assessment.submitTime.date),
        validUntil: VietnamTime.text(assessment.validUntil.date),
        units: assessment.units.map { unit in
          UnitRow(
            name: unit.unitName,
            level: Vietnamese.level(unit.mapLevel),
            index: VietnamNumber.decimal(unit.indexPercent),
            score: unit.score,
            knockedOut: unit.knockedOutBy.joined(separator: ", ")
          )
        },
        top: assessment.topCriteria.map {
          TopRow(code: $0.criterionCode, title: $0.title, unit: $0.unitName, points: $0.points)
        },
        facilityLink: "/facilities/\(assessment.facilityID)"
      )
    )
  }
}
