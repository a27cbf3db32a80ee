import Foundation
import SwiftProtobuf

/// The files of a descriptor set by name, and the file that defines each fully qualified
/// symbol (message, enum, service, method), as reflection clients ask for them.
struct DescriptorIndex: Sendable {
  struct File: Sendable {
    let serialized: Data
    let dependencies: [String]
  }

  private(set) var files: [String: File] = [:]
  private(set) var symbols: [String: String] = [:]
  /// Fully qualified message types, for the extension questions.
  private(set) var messageTypes: Set<String> = []

  init(set: Google_Protobuf_FileDescriptorSet) throws {
    for file in set.file {
      files[file.name] = File(serialized: try file.serializedBytes(), dependencies: file.dependency)
      let scope = file.package.isEmpty ? "" : file.package + "."
      for message in file.messageType { addMessage(message, scope: scope, file: file.name) }
      for enumeration in file.enumType { symbols[scope + enumeration.name] = file.name }
      for service in file.service {
        let name = scope + service.name
        symbols[name] = file.name
        for method in service.method { symbols[name + "." + method.name] = file.name }
      }
    }
  }

  /// Decodes the base64 text of a serialized `FileDescriptorSet` (newlines ignored).
  init(base64: String) throws {
    guard let data = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: [], debugDescription: "the descriptor set is not base64")
      )
    }
    try self.init(set: Google_Protobuf_FileDescriptorSet(serializedBytes: data))
  }

  private mutating func addMessage(
    _ message: Google_Protobuf_DescriptorProto,
    scope: String,
    file: String
  ) {
    let name = scope + message.name
    symbols[name] = file
    messageTypes.insert(name)
    for nested in message.nestedType { addMessage(nested, scope: name + ".", file: file) }
    for enumeration in message.enumType { symbols[name + "." + enumeration.name] = file }
  }

  /// `name` and every file it imports, directly or not, each once, `name` first: a client
  /// can then build the file's descriptors without asking again.
  func withDependencies(_ name: String) -> [Data]? {
    guard files[name] != nil else { return nil }
    var seen: Set<String> = []
    var order: [Data] = []
    var pending = [name]
    while let next = pending.popLast() {
      guard seen.insert(next).inserted, let file = files[next] else { continue }
      order.append(file.serialized)
      pending.append(contentsOf: file.dependencies.reversed())
    }
    return order
  }
}
