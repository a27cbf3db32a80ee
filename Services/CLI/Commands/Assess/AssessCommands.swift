import ArgumentParser
import Crypto
import Foundation
import GRPCCore
import SafeMapAPI
import SwiftProtobuf

struct Assess: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Self-assessment: the criteria, submitting answers, a facility's history and status.",
    subcommands: [AssessCatalogue.self, AssessSubmit.self, AssessHistory.self, AssessStatus.self]
  )

  enum Kind: String, ExpressibleByArgument, CaseIterable {
    case workplace, dormitory
    var proto: Safemap_Common_V1_AssessmentKind { self == .workplace ? .workplace : .dormitory }
  }
}

struct AssessCatalogue: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "catalogue",
    abstract: "The active criteria of a kind: each criterion's options and their points.",
    discussion: """
      Criteria marked "from profile" are computed from the facility's registry data when left \
      out of a submission.

      Examples:
        safemap assess catalogue
        safemap assess catalogue --kind dormitory --format json > dormitory.json
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "workplace or dormitory.") var kind: Assess.Kind = .workplace
  @Option(help: "table, csv or json.") var format: OutputFormat = .table

  func run() async throws {
    let context = try global.context()
    let kind = self.kind.proto
    let authorization = try await context.authorization()
    let response = try await context.assessment.call { client in
      try await Safemap_Assessment_V1_AssessmentService.Client(wrapping: client).getCatalogue(
        .with { $0.kind = kind },
        metadata: authorization
      )
    }
    let catalogue = response.catalogue
    var table = Table(
      [.text("criterion"), .text("title"), .text("option"), .text("label"), .number("points")]
    )
    for criterion in catalogue.criteria {
      let title =
        criterion.title + (criterion.profileSource != .unspecified ? " (from profile)" : "")
      for (index, option) in criterion.options.enumerated() {
        table.append([
          index == 0 ? criterion.code : "", index == 0 ? title : "", option.code, option.label,
          String(option.points),
        ])
      }
    }
    if format == .table {
      print("\(catalogue.title), version \(catalogue.version) (\(catalogue.maxPoints) points)")
    }
    try format.print(table, message: response)
  }
}

struct AssessSubmit: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "submit",
    abstract: "Submit a self-assessment from a JSON file of answers; prints the result.",
    discussion: """
      The file holds the units and their answers, in the API's JSON form:

        {"kind": "ASSESSMENT_KIND_WORKPLACE",
         "units": [{"unitName": "Xưởng may 1",
                    "answers": [{"criterionCode": "CS3", "optionCode": "CS3.a"}, …]}]}

      (`safemap assess catalogue` lists the codes.) A facility account submits for itself; \
      --facility names another facility for officials who may. Sending the same file again \
      returns the first result instead of a second assessment.

      Example:
        safemap assess submit answers.json
      """
  )

  @OptionGroup var global: GlobalOptions
  @Argument(help: "The JSON file of answers.") var file: String
  @Option(help: "The facility (facility accounts may leave it out).") var facility: String?
  @Option(help: "Province code (facility accounts may leave it out).") var province: String?
  @Option(help: "table or json.") var format: OutputFormat = .table

  func run() async throws {
    let context = try global.context()
    guard let data = FileManager.default.contents(atPath: file) else {
      throw CLIFailure("cannot read \(file)")
    }
    var request: Safemap_Assessment_V1_SubmitAssessmentRequest
    do {
      request = try Safemap_Assessment_V1_SubmitAssessmentRequest(jsonUTF8Data: data)
    } catch {
      throw CLIFailure("\(file) is not an assessment in JSON: \(error)")
    }
    if let facility { request.facilityID = facility }
    if let province { request.provinceCode = province }
    if request.kind == .unspecified { request.kind = .workplace }
    if request.requestID.isEmpty {
      request.requestID = String(
        SHA256.hash(data: data + Data(request.facilityID.utf8))
          .map { String(format: "%02x", $0) }.joined().prefix(32)
      )
    }
    let authorization = try await context.authorization()
    let submitted = request
    let response = try await context.assessment.call { client in
      try await Safemap_Assessment_V1_AssessmentService.Client(wrapping: client)
        .submitAssessment(submitted, metadata: authorization)
    }
    guard format == .table else { return print(try response.jsonString()) }
    let assessment = response.assessment
    if response.replayed { print("Already submitted: the first result of this file.") }
    print(
      "\(Describe.kind(assessment.kind)): \(Describe.level(assessment.mapLevel)) "
        + "(index \(String(format: "%.1f", assessment.indexPercent)) %, "
        + "\(assessment.score)/\(assessment.maxPoints) points)"
    )
    var units = Table(
      [.text("unit"), .number("score"), .number("index %"), .text("level"), .text("forced by")]
    )
    for unit in assessment.units {
      units.append([
        unit.unitName, String(unit.score), String(format: "%.1f", unit.indexPercent),
        Describe.level(unit.mapLevel), unit.knockedOutBy.joined(separator: ", "),
      ])
    }
    print(units.aligned())
    if !assessment.topCriteria.isEmpty {
      print("Weighed most:")
      for criterion in assessment.topCriteria {
        print("  \(criterion.criterionCode) \(criterion.title): \(criterion.points) points")
      }
    }
  }
}

struct AssessHistory: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "history",
    abstract: "A facility's assessments, newest first.",
    discussion:
      "Examples:\n  safemap assess history\n  safemap assess history --facility 0b6c… --kind dormitory"
  )

  @OptionGroup var global: GlobalOptions
  @OptionGroup var page: PageOptions
  @Option(help: "table, csv or json.") var format: OutputFormat = .table
  @Option(help: "The facility (facility accounts may leave it out).") var facility: String?
  @Option(help: "Province code (facility accounts may leave it out).") var province: String?
  @Option(help: "workplace or dormitory (default: both).") var kind: Assess.Kind?

  func run() async throws {
    let context = try global.context()
    let request = Safemap_Assessment_V1_ListAssessmentsRequest.with {
      $0.provinceCode = province ?? ""
      $0.facilityID = facility ?? ""
      if let kind { $0.kind = kind.proto }
      $0.pageSize = Int32(page.pageSize)
      $0.pageToken = page.pageToken ?? ""
    }
    let authorization = try await context.authorization()
    let response = try await context.assessment.call { client in
      try await Safemap_Assessment_V1_AssessmentService.Client(wrapping: client)
        .listAssessments(request, metadata: authorization)
    }
    var table = Table(
      [
        .text("submitted"), .text("kind"), .text("level"), .number("index %"), .number("score"),
        .number("catalogue"), .text("id"),
      ]
    )
    for assessment in response.assessments {
      table.append([
        Describe.instant(assessment.submitTime), Describe.kind(assessment.kind),
        Describe.level(assessment.mapLevel), String(format: "%.1f", assessment.indexPercent),
        String(assessment.score), String(assessment.catalogueVersion), assessment.assessmentID,
      ])
    }
    try format.print(table, message: response)
    page.footer(shown: response.assessments.count, next: response.nextPageToken, format: format)
  }
}

struct AssessStatus: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "A facility's colour on the map, each kind's latest result and its validity.",
    discussion: "Examples:\n  safemap assess status\n  safemap assess status --facility 0b6c…"
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "table or json.") var format: OutputFormat = .table
  @Option(help: "The facility (facility accounts may leave it out).") var facility: String?
  @Option(help: "Province code (facility accounts may leave it out).") var province: String?

  func run() async throws {
    let context = try global.context()
    let request = Safemap_Assessment_V1_GetFacilityStatusRequest.with {
      $0.provinceCode = province ?? ""
      $0.facilityID = facility ?? ""
    }
    let authorization = try await context.authorization()
    let response = try await context.assessment.call { client in
      try await Safemap_Assessment_V1_AssessmentService.Client(wrapping: client)
        .getFacilityStatus(request, metadata: authorization)
    }
    let status = response.status
    var table = Table(
      [
        .text("kind"), .text("level"), .number("index %"), .text("submitted"),
        .text("valid until"),
      ]
    )
    for kind in [status.workplace] + (status.hasDormitory ? [status.dormitory] : [])
    where !kind.assessmentID.isEmpty {
      table.append([
        Describe.kind(kind.kind),
        Describe.level(kind.mapLevel) + (kind.overdue ? " (overdue)" : ""),
        String(format: "%.1f", kind.indexPercent), Describe.instant(kind.submitTime),
        Describe.instant(kind.validUntil),
      ])
    }
    guard format == .table else { return try format.print(table, message: response) }
    print("On the map: \(Describe.level(status.mapLevel))")
    print(table.aligned())
    if status.selfAssessedSafeInspectedUnsafe {
      print("Inspection found it unsafe after a safe self-assessment.")
    }
  }
}
