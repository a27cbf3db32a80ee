import Foundation

/// Progress of a long command on standard error: a bar redrawn in place on a terminal, a
/// plain line every tenth of the way otherwise (logs, CI), nothing when the total is unknown
/// and the output is not a terminal.
final class Progress: @unchecked Sendable {
  let total: Int
  let label: String
  private let terminal = isatty(STDERR_FILENO) != 0
  private var lastDrawn = Date.distantPast
  private var lastTenth = 0
  private let lock = NSLock()

  init(total: Int, label: String) {
    self.total = total
    self.label = label
  }

  func update(_ done: Int) {
    lock.withLock {
      if terminal {
        // At most ten redraws a second.
        let now = Date()
        guard now.timeIntervalSince(lastDrawn) >= 0.1 || done == total else { return }
        lastDrawn = now
        write("\r" + Self.bar(done: done, total: total, label: label))
      } else if total > 0 {
        let tenth = done * 10 / total
        guard tenth > lastTenth else { return }
        lastTenth = tenth
        write("\(done)/\(total) \(label)\n")
      }
    }
  }

  /// Ends the bar's line.
  func finish(_ done: Int) {
    lock.withLock {
      if terminal {
        write("\r" + Self.bar(done: done, total: max(total, done), label: label) + "\n")
      }
    }
  }

  /// `[#########...........]  45%  2,700/6,000 rows`
  static func bar(done: Int, total: Int, label: String, width: Int = 30) -> String {
    guard total > 0 else { return "\(done) \(label)" }
    let fraction = min(1, Double(done) / Double(total))
    let filled = Int((fraction * Double(width)).rounded(.down))
    let percent = Int((fraction * 100).rounded(.down))
    return "[" + String(repeating: "#", count: filled)
      + String(repeating: ".", count: width - filled) + "] "
      + String(percent).leftPadded(to: 3) + "%  \(done)/\(total) \(label)"
  }

  private func write(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }
}

extension String {
  func leftPadded(to width: Int) -> String {
    String(repeating: " ", count: max(0, width - count)) + self
  }
}
