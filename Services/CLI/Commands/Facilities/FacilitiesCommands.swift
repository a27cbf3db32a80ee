import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SwiftProtobuf

struct Facilities: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "The registry: issue accounts in bulk, list, show, register, suspend or close.",
    subcommands: [
      FacilitiesIssue.self, FacilitiesList.self, FacilitiesShow.self, FacilitiesRegister.self,
      FacilitiesStatus.self,
    ]
  )
}

/// Paging options of a list command.
struct PageOptions: ParsableArguments {
  @Option(help: "Rows per page (1–1000).") var pageSize = 50
  @Option(help: "The page after the one that printed this token.") var pageToken: String?

  func validate() throws {
    guard (1...1000).contains(pageSize) else {
      throw ValidationError("--page-size must be 1–1000, got \(pageSize)")
    }
  }

  /// The page's footer on a table: what is left and how to get it.
  func footer(
    shown: Int,
    total: Int32? = nil,
    noun: String = "",
    next: String,
    format: OutputFormat
  ) {
    guard format == .table else { return }
    if let total { print("\(shown) of \(total)" + (noun.isEmpty ? "" : " \(noun)")) }
    if !next.isEmpty { print("next page: --page-token \(next)") }
  }
}

struct FacilitiesList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "Facilities of a province, filtered; a search ignores case and Vietnamese accents.",
    discussion: """
      Examples:
        safemap facilities list --district 718
        safemap facilities list --search "det may" --status suspended
      """
  )

  enum Status: String, ExpressibleByArgument, CaseIterable {
    case active, suspended, closed
    var proto: Safemap_Common_V1_OperatingStatus {
      switch self {
      case .active: .active
      case .suspended: .suspended
      case .closed: .closed
      }
    }
  }

  @OptionGroup var global: GlobalOptions
  @OptionGroup var page: PageOptions
  @Option(help: "table, csv or json.") var format: OutputFormat = .table
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Option(help: "Only this district (code).") var district: String?
  @Option(help: "Only this zone (id).") var zone: String?
  @Option(help: "active, suspended or closed.") var status: Status?
  @Option(help: "Name or tax code contains this.") var search: String?

  func run() async throws {
    let context = try global.context()
    let request = Safemap_Account_V1_ListFacilitiesRequest.with {
      $0.provinceCode = province ?? ""
      $0.pageSize = Int32(page.pageSize)
      $0.pageToken = page.pageToken ?? ""
      $0.districtCode = district ?? ""
      $0.zoneID = zone ?? ""
      if let status { $0.operatingStatus = status.proto }
      $0.query = search ?? ""
    }
    let authorization = try await context.authorization()
    let response = try await context.account.call { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client)
        .listFacilities(request, metadata: authorization)
    }
    var table = Table(
      [
        .text("id"), .text("name"), .text("tax code"), .text("district"), .text("zone"),
        .text("status"), .number("workers"),
      ]
    )
    for facility in response.facilities {
      table.append([
        facility.facilityID, facility.name, facility.taxCode, facility.districtCode,
        facility.zoneID, Describe.operatingStatus(facility.operatingStatus),
        String(facility.workerCount),
      ])
    }
    try format.print(table, message: response)
    page.footer(
      shown: response.facilities.count,
      total: response.totalSize,
      next: response.nextPageToken,
      format: format
    )
  }
}

struct FacilitiesShow: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "A facility's profile and its operating status history.",
    discussion: "Example:\n  safemap facilities show 0b6c…"
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "table or json.") var format: OutputFormat = .table
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Argument(help: "The facility's id.") var facility: String

  func run() async throws {
    let context = try global.context()
    let request = Safemap_Account_V1_GetFacilityRequest.with {
      $0.provinceCode = province ?? ""
      $0.facilityID = facility
    }
    let authorization = try await context.authorization()
    let response = try await context.account.call { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client)
        .getFacility(request, metadata: authorization)
    }
    let f = response.facility
    var profile = Table([.text("field"), .text("value")])
    let fields: [(String, String)] = [
      ("id", f.facilityID), ("name", f.name), ("tax code", f.taxCode), ("address", f.address),
      ("province", f.provinceCode), ("district", f.districtCode), ("zone", f.zoneID),
      ("sector", f.sector), ("workers", String(f.workerCount)),
      ("workshop m²", String(format: "%.0f", f.workshopAreaM2)),
      ("dormitory", f.hasDormitory_p ? "yes, \(f.dormitoryResidents) residents" : "no"),
      ("phone", f.contactPhone), ("email", f.contactEmail),
      ("location", f.hasLocation ? "\(f.location.latitude), \(f.location.longitude)" : ""),
      ("status", Describe.operatingStatus(f.operatingStatus)),
    ]
    for (name, value) in fields { profile.append([name, value]) }
    var history = Table([.text("status"), .text("from"), .text("reason"), .text("recorded")])
    for change in response.operatingStatusHistory {
      history.append([
        Describe.operatingStatus(change.status), Describe.date(change.effectiveDate),
        change.reason, Describe.instant(change.changeTime),
      ])
    }
    guard format == .table else { return try format.print(profile, message: response) }
    print(profile.aligned())
    print("Operating status history:")
    print(history.aligned())
  }
}

struct FacilitiesRegister: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "register",
    abstract: "Register one facility (without an account; `facilities issue` does both).",
    discussion: """
      Example:
        safemap facilities register --name "Công ty TNHH Dệt may An Phú" --tax-code 3700123456 \\
          --district 718 --workers 350 --area 4200
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Option var name: String
  @Option(help: "Mã số thuế: 10 digits, or 10-3 for a branch.") var taxCode: String
  @Option(help: "District code.") var district: String
  @Option var address = ""
  @Option(help: "Zone id, if inside a zone.") var zone = ""
  @Option var sector = ""
  @Option(help: "Workers on site.") var workers: Int32 = 0
  @Option(help: "Workshop floor area in m².") var area: Double = 0
  @Option(help: "Dormitory residents (a dormitory when above 0).") var dormitoryResidents: Int32 = 0
  @Option var phone = ""
  @Option var email = ""
  @Option var latitude: Double?
  @Option var longitude: Double?
  @Option(help: "Idempotency key: the same key again returns the first facility.")
  var requestID = UUID().uuidString.lowercased()

  func run() async throws {
    let context = try global.context()
    if (latitude == nil) != (longitude == nil) {
      throw CLIFailure("--latitude and --longitude go together")
    }
    let request = Safemap_Account_V1_RegisterFacilityRequest.with {
      $0.requestID = requestID
      $0.facility = .with {
        $0.provinceCode = province ?? ""
        $0.name = name
        $0.taxCode = taxCode
        $0.districtCode = district
        $0.address = address
        $0.zoneID = zone
        $0.sector = sector
        $0.workerCount = workers
        $0.workshopAreaM2 = area
        $0.hasDormitory_p = dormitoryResidents > 0
        $0.dormitoryResidents = dormitoryResidents
        $0.contactPhone = phone
        $0.contactEmail = email
        if let latitude, let longitude {
          $0.location = .with {
            $0.latitude = latitude
            $0.longitude = longitude
          }
        }
      }
    }
    let authorization = try await context.authorization()
    let facility = try await context.account.call { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client)
        .registerFacility(request, metadata: authorization).facility
    }
    print("Registered \(facility.name): \(facility.facilityID)")
  }
}

struct FacilitiesStatus: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Suspend, close or reopen a facility from a day (it leaves or rejoins the reports).",
    discussion: """
      Examples:
        safemap facilities status 0b6c… suspended --reason "F0 tại xưởng" --from 2021-08-20
        safemap facilities status 0b6c… active
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Argument(help: "The facility's id.") var facility: String
  @Argument(help: "active, suspended or closed.") var status: FacilitiesList.Status
  @Option(help: "Why (required to suspend or close).") var reason = ""
  @Option(name: .customLong("from"), help: "The day it takes effect (default: today).")
  var effective: String?

  func run() async throws {
    let context = try global.context()
    var date: Safemap_Common_V1_Date?
    if let effective {
      let parts = effective.split(separator: "-").compactMap { Int32($0) }
      guard parts.count == 3 else {
        throw CLIFailure("--from must be a date such as 2021-08-20, got \(effective)")
      }
      date = .with {
        $0.year = parts[0]
        $0.month = parts[1]
        $0.day = parts[2]
      }
    }
    let request = Safemap_Account_V1_SetOperatingStatusRequest.with {
      $0.provinceCode = province ?? ""
      $0.facilityID = facility
      $0.status = status.proto
      $0.reason = reason
      if let date { $0.effectiveDate = date }
    }
    let authorization = try await context.authorization()
    let response = try await context.account.call { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client)
        .setOperatingStatus(request, metadata: authorization)
    }
    print(
      "\(response.facility.name): \(Describe.operatingStatus(response.change.status)) "
        + "from \(Describe.date(response.change.effectiveDate))"
    )
  }
}
