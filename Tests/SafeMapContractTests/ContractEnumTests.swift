import SafeMapAPI
import SafeMapContract
import SafeMapCore
import SwiftProtobuf
import Testing

/// Every enum of the contract converts both ways through its one table: each case to its API
/// value and back, to its SQL text and back, and no two cases share an API value.
@Suite("ContractEnum")
struct ContractEnumTests {
  func roundTrips<E: ContractEnum>(_: E.Type) {
    var seen: Set<E.Message> = []
    for value in E.allCases {
      #expect(E(value.message) == value, "\(value)")
      #expect(E(sql: value.sql) == value, "\(value)")
      #expect(E.message(sql: value.sql) == value.message, "\(value)")
      #expect(seen.insert(value.message).inserted, "\(value): its API value is taken")
    }
    #expect(E(E.Message()) == nil, "the zero value (*_UNSPECIFIED) is no case")
    #expect(E.message(sql: "NOT A NAME") == E.Message())
    #expect(E.message(sql: nil) == E.Message())
  }

  @Test("roles, levels, kinds, statuses and zone types round-trip through API and SQL")
  func everyEnum() {
    roundTrips(Role.self)
    roundTrips(MapLevel.self)
    roundTrips(FacilityStanding.Level.self)
    roundTrips(RiskLevel.self)
    roundTrips(AssessmentKind.self)
    roundTrips(OperatingStatus.self)
    roundTrips(ZoneType.self)
  }

  @Test("every API value but the zero one names a case")
  func everyAPIValue() {
    #expect(
      Safemap_Common_V1_MapLevel.allCases.filter { $0 != .unspecified }.allSatisfy {
        FacilityStanding.Level($0) != nil
      }
    )
    #expect(
      Safemap_Common_V1_Role.allCases.filter { $0 != .unspecified }.allSatisfy {
        Role($0) != nil
      }
    )
    #expect(
      Safemap_Common_V1_ZoneType.allCases.filter { $0 != .unspecified }.allSatisfy {
        ZoneType($0) != nil
      }
    )
  }
}
