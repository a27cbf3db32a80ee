import Foundation
import GRPCCore
import Logging
import NIOPosix
import PostgresNIO
import SafeMapAPI
import SafeMapAccount
import SafeMapAuth
import SafeMapClient
import SafeMapRuntime
import SafeMapTestExpectations
import SafeMapTestSupport
import SwiftProtobuf
import Testing

@Suite("Reference data")
struct ReferenceDataTests {
  static let account = Task<RunningService, any Error> {
    let database = try await PostgresCluster.shared().makeMigratedDatabase()
    return try await TestServices.start(.account, database: database)
  }

  static func listDistricts(_ request: Safemap_Account_V1_ListDistrictsRequest) async throws
    -> Safemap_Account_V1_ListDistrictsResponse
  {
    let port = try await account.value.port
    let metadata = try await TestKeys.metadata(for: TestPrincipals.provinceOfficer("70"))
    return try await withLocalClient(port: port) { client in
      try await Safemap_Account_V1_FacilityService.Client(wrapping: client)
        .listDistricts(request, metadata: metadata)
    }
  }

  @Test("the districts of Phú Thọ ship with the project and page through")
  func districtsOfPhuTho() async throws {
    let first = try await Self.listDistricts(
      .with {
        $0.provinceCode = "25"; $0.pageSize = 10
      }
    )
    #expect(first.districts.count == 10)
    #expect(first.districts.first?.name == "Việt Trì")
    let rest = try await Self.listDistricts(
      .with {
        $0.provinceCode = "25"; $0.pageSize = 10; $0.pageToken = first.nextPageToken
      }
    )
    #expect(rest.districts.map(\.code) == ["238", "239", "240"])
    #expect(rest.nextPageToken.isEmpty)
  }

  @Test("a malformed or unknown province names the field")
  func badProvince() async throws {
    await #expect(
      performing: { try await Self.listDistricts(.with { $0.provinceCode = "2" }) },
      throws: { error in
        guard let error = error as? RPCError else { return false }
        return error.code == .invalidArgument && error.message.contains("province_code")
      }
    )
    await #expect(
      performing: { try await Self.listDistricts(.with { $0.provinceCode = "99" }) },
      throws: { ($0 as? RPCError)?.code == .notFound }
    )
    await #expect(
      performing: {
        try await Self.listDistricts(
          .with {
            $0.provinceCode = "25"; $0.pageSize = -1
          }
        )
      },
      throws: { ($0 as? RPCError)?.code == .invalidArgument }
    )
  }
}
