import Foundation
import SafeMapSheets

/// A CSV file written as records arrive, so an export of any size holds one block in memory.
/// A `private` file (secrets) is created readable by its owner only, and never over an
/// existing file: a credential sheet already handed out must not be lost to a second run.
final class CSVFile: @unchecked Sendable {
  private let handle: FileHandle
  private let path: String
  private var pending = Data()
  private static let blockSize = 64 * 1024
  private let lock = NSLock()

  init(path: String, byteOrderMark: Bool = false, private: Bool = false) throws {
    self.path = path
    let mode: mode_t = `private` ? 0o600 : 0o644
    let flags = O_WRONLY | O_CREAT | (`private` ? O_EXCL : O_TRUNC)
    let descriptor = open(path, flags, mode)
    guard descriptor >= 0 else {
      if errno == EEXIST {
        throw CLIFailure("\(path) already exists: choose another file (or delete it)")
      }
      throw CLIFailure("cannot write \(path): \(String(cString: strerror(errno)))")
    }
    if `private` { fchmod(descriptor, 0o600) }
    handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    if byteOrderMark { pending.append(contentsOf: [0xEF, 0xBB, 0xBF]) }
  }

  func write(_ fields: [String]) throws {
    let record = try CSVRecord.encode(fields)
    try lock.withLock {
      pending.append(record)
      if pending.count >= Self.blockSize { try flush() }
    }
  }

  func close() throws {
    try lock.withLock {
      try flush()
      try handle.synchronize()
      try handle.close()
    }
  }

  private func flush() throws {
    guard !pending.isEmpty else { return }
    do {
      try handle.write(contentsOf: pending)
    } catch {
      throw CLIFailure("cannot write \(path): \(error.localizedDescription)")
    }
    pending.removeAll(keepingCapacity: true)
  }
}
