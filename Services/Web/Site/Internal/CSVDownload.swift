import AsyncAlgorithms
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SafeMapSheets

/// A CSV file the browser saves: UTF-8 with a byte-order mark (so Excel shows Vietnamese),
/// CRLF records, never cached, named `<prefix>-<YYYYMMDD>.csv` by Vietnam's date.
enum CSVDownload {
  static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

  static func record(_ fields: [String]) throws -> Data {
    try CSVRecord.encode(fields, newline: "\r\n")
  }

  static func response(named prefix: String, body: ResponseBody) -> Response {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = VietnamTime.zone
    let c = calendar.dateComponents([.year, .month, .day], from: Date())
    let name = prefix + String(format: "-%04d%02d%02d.csv", c.year!, c.month!, c.day!)
    return Response(
      status: .ok,
      headers: [
        .contentType: "text/csv; charset=utf-8",
        .contentDisposition: "attachment; filename=\"\(name)\"",
        .cacheControl: "no-store",
      ],
      body: body
    )
  }

  /// A download whose rows `produce` writes as they come, with Vietnamese `titles` first. The
  /// producer runs beside the response and hands it 64 KiB blocks through a channel that holds
  /// one at a time: a slow download slows the producer instead of filling memory.
  static func streamed(
    named prefix: String,
    titles: [String],
    _ produce:
      @escaping @Sendable (_ record: @escaping @Sendable ([String]) async throws -> Void)
      async throws -> Void
  ) -> Response {
    let blocks = AsyncThrowingChannel<ByteBuffer, any Error>()
    let body = ResponseBody { writer in
      let call = Task {
        do {
          let pending = Pending(channel: blocks)
          try await pending.add(byteOrderMark)
          try await pending.add(record(titles))
          try await produce { fields in try await pending.add(record(fields)) }
          await pending.flush()
          blocks.finish()
        } catch {
          blocks.fail(error)
        }
      }
      defer { call.cancel() }
      for try await block in blocks {
        try await writer.write(block)
      }
      try await writer.finish(nil)
    }
    return response(named: prefix, body: body)
  }

  /// The block being filled, sent on when it reaches 64 KiB.
  private actor Pending {
    let channel: AsyncThrowingChannel<ByteBuffer, any Error>
    var block = ByteBuffer()

    init(channel: AsyncThrowingChannel<ByteBuffer, any Error>) { self.channel = channel }

    func add(_ bytes: some Sequence<UInt8>) async {
      block.writeBytes(bytes)
      if block.readableBytes >= 64 * 1024 { await flush() }
    }

    func flush() async {
      guard block.readableBytes > 0 else { return }
      let full = block
      block = ByteBuffer()
      await channel.send(full)
    }
  }
}
