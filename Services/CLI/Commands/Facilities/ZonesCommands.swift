import ArgumentParser
import Foundation
import GRPCCore
import SafeMapAPI
import SwiftProtobuf

struct Zones: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Industrial zones (KCN), economic zones (KKT) and industrial clusters (CCN).",
    subcommands: [ZonesList.self, ZonesCreate.self]
  )

  enum Kind: String, ExpressibleByArgument, CaseIterable {
    case kcn, kkt, ccn
    var proto: Safemap_Common_V1_ZoneType {
      switch self {
      case .kcn: .industrialZone
      case .kkt: .economicZone
      case .ccn: .industrialCluster
      }
    }

    static func name(_ type: Safemap_Common_V1_ZoneType) -> String {
      switch type {
      case .industrialZone: "KCN"
      case .economicZone: "KKT"
      case .industrialCluster: "CCN"
      default: ""
      }
    }
  }
}

struct ZonesList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "The zones of a province.",
    discussion: "Examples:\n  safemap zones list\n  safemap zones list --province 74 --kind kcn"
  )

  @OptionGroup var global: GlobalOptions
  @OptionGroup var page: PageOptions
  @Option(help: "table, csv or json.") var format: OutputFormat = .table
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Option(help: "kcn, kkt or ccn.") var kind: Zones.Kind?
  @Option(help: "Only this district (code).") var district: String?

  func run() async throws {
    let context = try global.context()
    let request = Safemap_Account_V1_ListZonesRequest.with {
      $0.provinceCode = province ?? ""
      $0.pageSize = Int32(page.pageSize)
      $0.pageToken = page.pageToken ?? ""
      if let kind { $0.zoneType = kind.proto }
      $0.districtCode = district ?? ""
    }
    let authorization = try await context.authorization()
    let response = try await context.account.call { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client)
        .listZones(request, metadata: authorization)
    }
    var table = Table([.text("id"), .text("name"), .text("kind"), .text("district")])
    for zone in response.zones {
      table.append([zone.zoneID, zone.name, Zones.Kind.name(zone.zoneType), zone.districtCode])
    }
    try format.print(table, message: response)
    page.footer(shown: response.zones.count, next: response.nextPageToken, format: format)
  }
}

struct ZonesCreate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create",
    abstract: "Add a zone to a province (province officers).",
    discussion: """
      Example:
        safemap zones create --name "KCN Mỹ Phước 3" --kind kcn --district 721
      """
  )

  @OptionGroup var global: GlobalOptions
  @Option(help: "Province code (the ministry must name one).") var province: String?
  @Option var name: String
  @Option(help: "kcn, kkt or ccn.") var kind: Zones.Kind
  @Option(help: "The district it lies in (the main one).") var district: String
  @Option(help: "Idempotency key: the same key again returns the first zone.")
  var requestID = UUID().uuidString.lowercased()

  func run() async throws {
    let context = try global.context()
    let request = Safemap_Account_V1_CreateZoneRequest.with {
      $0.requestID = requestID
      $0.zone = .with {
        $0.provinceCode = province ?? ""
        $0.name = name
        $0.zoneType = kind.proto
        $0.districtCode = district
      }
    }
    let authorization = try await context.authorization()
    let zone = try await context.account.call { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client)
        .createZone(request, metadata: authorization).zone
    }
    print("Zone \(zone.name): \(zone.zoneID)")
  }
}
