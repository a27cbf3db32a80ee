import Foundation
import Hummingbird
import NIOCore

/// A submitted `application/x-www-form-urlencoded` body, read up to the context's limit and
/// parsed by ``FormEncoding`` (which cannot trap, whatever the body holds).
struct Form: Sendable {
  private(set) var fields: [String: [String]] = [:]
  /// The body as it came, to hand on after the CSRF check read it.
  let encoded: String

  init(encoded text: String) {
    encoded = text
    for (name, value) in FormEncoding.parse(text) {
      fields[name, default: []].append(value)
    }
  }

  static func read(_ request: Request, context: WebContext) async throws -> Form {
    let buffer: ByteBuffer
    do {
      buffer = try await request.body.collect(upTo: context.maxUploadSize)
    } catch {
      throw WebError(status: .contentTooLarge, message: "Dữ liệu gửi lên quá lớn.")
    }
    return Form(encoded: String(buffer: buffer))
  }

  subscript(_ name: String) -> String? { fields[name]?.first }

  /// A text field, trimmed; the error names the field's label when it is missing or too long.
  func text(_ name: String, label: String, required: Bool = true, maximum: Int = 1_000) throws
    -> String
  {
    let value = (self[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    if required && value.isEmpty { throw WebError.badRequest("\(label): bắt buộc.") }
    if value.count > maximum {
      throw WebError.badRequest("\(label): tối đa \(maximum) ký tự.")
    }
    return value
  }
}
