import Foundation

/// The tokens of the signed-in user, in a file only that user can read (0600 in a 0700
/// folder): `$SAFEMAP_SESSION_FILE`, or `~/.config/safemap/session.json`.
struct Session: Codable, Sendable, Equatable {
  var username: String
  var accessToken: String
  var accessTokenExpiry: Date
  var refreshToken: String
  var refreshTokenExpiry: Date
  var passwordChangeRequired: Bool

  /// Whether the access token is still good for a call that starts now (a minute of margin,
  /// for clocks and slow calls).
  func accessTokenValid(at now: Date = Date()) -> Bool {
    accessTokenExpiry.timeIntervalSince(now) > 60
  }
}

struct SessionStore: Sendable {
  let path: String

  static func defaultPath(environment: [String: String]) -> String {
    if let file = environment["SAFEMAP_SESSION_FILE"], !file.isEmpty { return file }
    let home = environment["HOME"] ?? NSHomeDirectory()
    let config =
      environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.config"
    return config + "/safemap/session.json"
  }

  func load() throws -> Session? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    do {
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      let decoder = JSONDecoder()
      decoder.dateDecodingStrategy = .iso8601
      return try decoder.decode(Session.self, from: data)
    } catch {
      throw CLIFailure("the session file \(path) is unreadable; run `safemap login` again")
    }
  }

  /// Writes `session` readable by its owner only: the folder is created 0700, the file is
  /// written to a 0600 temporary file and renamed over the old one.
  func save(_ session: Session) throws {
    let folder = (path as NSString).deletingLastPathComponent
    let manager = FileManager.default
    try manager.createDirectory(
      atPath: folder,
      withIntermediateDirectories: true,
      attributes: [.posixPermissions: 0o700]
    )
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let temporary = path + ".tmp"
    manager.createFile(
      atPath: temporary,
      contents: try encoder.encode(session),
      attributes: [.posixPermissions: 0o600]
    )
    guard rename(temporary, path) == 0 else {
      throw CLIFailure("cannot write the session file \(path): \(String(cString: strerror(errno)))")
    }
  }

  func remove() throws {
    guard FileManager.default.fileExists(atPath: path) else { return }
    try FileManager.default.removeItem(atPath: path)
  }
}
