import Foundation
import SafeMapCore
import Testing

@Suite("Unit report rules")
struct UnitReportTests {
  typealias State = UnitReport.State

  @Test("a unit submits when it has not, or when its report came back; never over one standing")
  func submitting() {
    #expect(State.maySubmit(from: nil))
    #expect(State.maySubmit(from: .returned))
    #expect(State.maySubmit(from: .reopened))
    #expect(!State.maySubmit(from: .submitted))
    #expect(!State.maySubmit(from: .accepted))
  }

  @Test("review transitions: accept and return from submitted, reopen from accepted only")
  func transitions() {
    let all: [State?] = [nil] + State.allCases
    for action in UnitReport.ReviewAction.allCases {
      let allowed = all.filter { action.next(from: $0) != nil }
      #expect(allowed == [action.from], "\(action)")
    }
    #expect(UnitReport.ReviewAction.accept.next(from: .submitted) == .accepted)
    #expect(UnitReport.ReviewAction.return.next(from: .submitted) == .returned)
    #expect(UnitReport.ReviewAction.reopen.next(from: .accepted) == .reopened)
    #expect(!UnitReport.ReviewAction.accept.needsReason)
    #expect(
      UnitReport.ReviewAction.return.needsReason && UnitReport.ReviewAction.reopen.needsReason
    )
  }

  @Test("timeliness against the deadline; a unit with no active facility is not expected")
  func timeliness() {
    let deadline = Date(timeIntervalSince1970: 1_632_070_800)  // 20/9/2021, 00:00 in Vietnam
    func judge(_ expected: Bool, _ state: State?, _ offset: TimeInterval?) -> UnitReport.Timeliness
    {
      UnitReport.Timeliness(
        expected: expected,
        state: state,
        submittedAt: offset.map { deadline.addingTimeInterval($0) },
        deadline: deadline
      )
    }
    #expect(judge(true, .submitted, -60) == .onTime)
    #expect(judge(true, .accepted, 0) == .onTime)
    #expect(judge(true, .submitted, 1) == .late)
    #expect(judge(true, nil, nil) == .missing)
    #expect(judge(true, .returned, -60) == .missing)
    #expect(judge(true, .reopened, -60) == .missing)
    #expect(judge(false, .submitted, -60) == .notExpected)
  }

  @Test("the rate counts expected units only: Bình Phước's 2 of 11 districts and a zone board")
  func rate() {
    var rate = UnitReport.Rate()
    rate.add(.onTime, state: .accepted)
    rate.add(.late, state: .submitted)
    for _ in 0..<10 { rate.add(.missing, state: nil) }
    rate.add(.notExpected, state: .submitted)
    #expect(rate.expected == 12 && rate.submitted == 2 && rate.accepted == 1)
    #expect(rate.onTime == 1 && rate.late == 1 && rate.missing == 10)
    #expect(abs(rate.percent - 100.0 * 2 / 12) < 1e-9)
    #expect(UnitReport.Rate().percent == 0)
  }
}
