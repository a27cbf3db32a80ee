import Foundation

/// Secrets typed at the terminal without echo, or read a line at a time from standard input
/// (`--password-stdin`, for scripts).
enum Prompt {
  /// A line of standard input, without its line ending; `what` names it when input ends.
  static func line(_ what: String) throws -> String {
    guard let line = readLine(strippingNewline: true) else {
      throw CLIFailure("standard input ended before the \(what)")
    }
    return line
  }

  /// Asks for `what` at the terminal with echo off (`getpass`), or reads it from standard
  /// input when that is not a terminal or `fromStandardInput`.
  static func secret(_ what: String, fromStandardInput: Bool) throws -> String {
    if fromStandardInput || isatty(STDIN_FILENO) == 0 {
      return try line(what)
    }
    guard let typed = getpass("\(what): ") else {
      throw CLIFailure("cannot read the \(what) from the terminal")
    }
    return String(cString: typed)
  }
}
