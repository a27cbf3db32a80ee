import GRPCCore
import SafeMapAPI
import SafeMapCore
import SafeMapRuntime
import SwiftProtobuf
import Testing

/// The limits every request is held to before a handler reads it.
@Suite("Request limits")
struct RequestLimitsTests {
  let limits = RequestLimits()

  @Test("an over-long text field at any depth is named with its path and its limit")
  func longTextNamed() {
    var request = Safemap_Account_V1_RegisterFacilityRequest()
    request.facility.name = String(repeating: "Xưởng ", count: 200)
    request.facility.address = "Khu 5, Thụy Vân"
    let violations = limits.violations(in: request)
    #expect(violations.message == "facility.name: at most 1000 characters")

    var rows = Safemap_Assessment_V1_SubmitAssessmentRequest()
    rows.units = [.init(), .with { $0.unitName = String(repeating: "a", count: 1_001) }]
    #expect(limits.violations(in: rows).message == "units[1].unit_name: at most 1000 characters")
  }

  @Test("limits count characters, not bytes, and follow the field's own limit")
  func perFieldLimits() {
    // 1,000 Vietnamese characters are about 2,000 bytes and still within the limit.
    var zone = Safemap_Account_V1_CreateZoneRequest()
    zone.zone.name = String(repeating: "ữ", count: 1_000)
    #expect(limits.violations(in: zone).isEmpty)
    var inspection = Safemap_Assessment_V1_RecordInspectionRequest()
    inspection.findings = String(repeating: "x", count: 4_000)
    #expect(limits.violations(in: inspection).isEmpty)
    inspection.findings += "x"
    inspection.requestID = String(repeating: "r", count: 129)
    #expect(
      limits.violations(in: inspection).message
        == "findings: at most 4000 characters; request_id: at most 128 characters"
    )
  }

  @Test("a message over the size limit is RESOURCE_EXHAUSTED naming the limit")
  func sizeLimit() {
    let small = RequestLimits(maximumMessageBytes: 1_024)
    var request = Safemap_Account_V1_LoginRequest()
    request.username = "u"
    request.password = String(repeating: "p", count: 2_000)
    let refusal = small.refusal(for: request)
    #expect(refusal?.code == .resourceExhausted)
    #expect(refusal?.message.contains("the limit is 1024 bytes") == true)
    request.password = "short enough"
    #expect(small.refusal(for: request) == nil)
  }
}
