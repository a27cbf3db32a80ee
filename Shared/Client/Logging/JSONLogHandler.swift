import Foundation
public import Logging

/// One JSON object per line on stderr (`ts`, `level`, `service`, `msg`, then metadata), the
/// form log collectors parse without rules.
public struct JSONLogHandler: LogHandler {
  public var logLevel: Logger.Level
  public var metadata: Logger.Metadata = [:]
  public var metadataProvider: Logger.MetadataProvider?
  private let label: String

  public init(label: String, level: Logger.Level) {
    self.label = label
    self.logLevel = level
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var fields: [String: String] = [:]
    for (k, v) in metadata { fields[k] = "\(v)" }
    if let provided = metadataProvider?.get() { for (k, v) in provided { fields[k] = "\(v)" } }
    if let extra = event.metadata { for (k, v) in extra { fields[k] = "\(v)" } }
    var line = "{\"ts\":\(Self.quote(Self.timestamp()))"
    line += ",\"level\":\(Self.quote(event.level.rawValue))"
    line += ",\"service\":\(Self.quote(label))"
    line += ",\"msg\":\(Self.quote("\(event.message)"))"
    for key in fields.keys.sorted() { line += ",\(Self.quote(key)):\(Self.quote(fields[key]!))" }
    line += "}\n"
    FileHandle.standardError.write(Data(line.utf8))
  }

  static func timestamp() -> String {
    Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
  }

  static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}

extension LoggingSystem {
  /// Installs the process-wide log handler once, in an executable's `main`.
  public static func bootstrapSafeMap(
    label: String,
    level: Logger.Level,
    format: LogFormat
  ) {
    LoggingSystem.bootstrap { name in
      switch format {
      case .json:
        return JSONLogHandler(label: label, level: level)
      case .text:
        var handler = StreamLogHandler.standardError(label: name)
        handler.logLevel = level
        return handler
      }
    }
  }
}

/// How a process writes its log: one JSON object per line (production), or text for people.
public enum LogFormat: String, Sendable {
  case json, text
}
