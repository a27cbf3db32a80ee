import Foundation

#if canImport(Glibc)
  import CoreFoundation
  import Glibc
#endif

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

  /// Writes `session` readable by its owner only (``writePrivately(_:to:)``).
  func save(_ session: Session) throws {
    try Self.writePrivately(try Self.encode(session), to: path)
  }

  /// The device token a successful login of `username` left (sent with its next logins, so
  /// others failing from the same address do not slow this user down), kept beside the
  /// session in `devices.json`, which signing out keeps.
  func deviceToken(for username: String) -> String {
    (try? Self.devices(at: devicesPath))?[username.lowercased()] ?? ""
  }

  func saveDeviceToken(_ token: String, for username: String) throws {
    guard !token.isEmpty else { return }
    var devices = (try? Self.devices(at: devicesPath)) ?? [:]
    devices[username.lowercased()] = token
    // A handful of usernames at most on one machine; keep the file small anyway.
    if devices.count > 20, let any = devices.keys.first(where: { $0 != username.lowercased() }) {
      devices[any] = nil
    }
    try Self.writePrivately(try Self.encode(devices), to: devicesPath)
  }

  var devicesPath: String { (path as NSString).deletingLastPathComponent + "/devices.json" }

  private static func devices(at path: String) throws -> [String: String] {
    try JSONDecoder().decode(
      [String: String].self,
      from: Data(contentsOf: URL(fileURLWithPath: path))
    )
  }

  private static func encode(_ value: some Encodable) throws -> Data {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(value)
  }

  /// A folder of the user's own is tightened to 0700. A shared folder with the sticky bit
  /// (`/tmp`) is left as it is: tightening it would lock every other user and service out,
  /// and the sticky bit already keeps others from replacing the file. A folder others may
  /// write without the sticky bit is refused.
  static func protect(_ folder: String) throws {
    var info = Glibc.stat()
    guard fstatat(AT_FDCWD, folder, &info, 0) == 0 else {
      throw CLIFailure("cannot read \(folder): \(String(cString: strerror(errno)))")
    }
    let sticky = info.st_mode & S_ISVTX != 0
    if info.st_uid == getuid() && !sticky {
      guard chmod(folder, 0o700) == 0 else {
        throw CLIFailure("cannot protect \(folder): \(String(cString: strerror(errno)))")
      }
    } else if !sticky && info.st_mode & 0o022 != 0 {
      throw CLIFailure(
        "\(folder) can be written by others: keep the session file in a folder of your own"
      )
    }
  }

  /// Writes `data` to `path` readable by its owner only, never for a moment by anyone else:
  /// the folder is created 0700, or tightened to it when it is the user's own
  /// (``protect(_:)``); the file is created 0600 under a temporary
  /// name (open with O_EXCL and that mode) and renamed over the old one.
  static func writePrivately(_ data: Data, to path: String) throws {
    let folder = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(
      atPath: folder,
      withIntermediateDirectories: true,
      attributes: [.posixPermissions: 0o700]
    )
    try protect(folder)
    let temporary = path + ".tmp"
    unlink(temporary)
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard descriptor >= 0 else {
      throw CLIFailure("cannot write \(temporary): \(String(cString: strerror(errno)))")
    }
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    try handle.write(contentsOf: data)
    try handle.close()
    guard rename(temporary, path) == 0 else {
      throw CLIFailure("cannot write \(path): \(String(cString: strerror(errno)))")
    }
  }

  func remove() throws {
    guard FileManager.default.fileExists(atPath: path) else { return }
    try FileManager.default.removeItem(atPath: path)
  }
}
