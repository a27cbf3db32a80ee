import Foundation
import NIOCore
import SafeMapAPI
import SafeMapSheets
import SwiftProtobuf
import Testing

@testable import SafeMapWeb

@Suite("web-service: credential sheets")
struct CredentialSheetTests {
  @Test(
    "held per officer: one officer's sheets never push out another's; a full table refuses first"
  )
  func perOfficer() async {
    let sheets = CredentialSheets(officers: 2, perOfficer: 2)
    let a1 = await sheets.keep([["a1"]], officer: "A")
    let b1 = await sheets.keep([["b1"]], officer: "B")
    // A third officer finds no room before issuing anything.
    #expect(await !sheets.hasRoom(for: "C"))
    #expect(await sheets.hasRoom(for: "A"))
    // A's third sheet pushes out A's own oldest, never B's.
    _ = await sheets.keep([["a2"]], officer: "A")
    _ = await sheets.keep([["a3"]], officer: "A")
    #expect(await sheets.take(a1, officer: "A") == nil)
    // Only its officer may take a sheet, and only once.
    #expect(await sheets.take(b1, officer: "A") == nil)
    #expect(await sheets.take(b1, officer: "B") == [["b1"]])
    #expect(await sheets.take(b1, officer: "B") == nil)
    #expect(await sheets.hasRoom(for: "C"), "B's place is free again")
  }
}
