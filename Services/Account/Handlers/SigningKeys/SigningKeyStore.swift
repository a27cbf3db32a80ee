import Foundation
public import Logging
public import PostgresNIO
public import SafeMapAuth
import SafeMapCore
public import SafeMapDatabase

/// Where account-service's signing keys come from, and how their public halves are published.
///
/// Private keys come from `SAFEMAP_SIGNING_KEYS` (the key file's text) or
/// `SAFEMAP_SIGNING_KEY_FILE`; on a developer machine, when neither is set, a key is generated
/// once into `<data folder>/signing-keys` (mode 0600). The public halves go into
/// `signing_keys`, which every replica and ``GetSigningKeys`` read, so the verifiers of all
/// services learn a new key without a restart.
public enum SigningKeyStore {
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  /// Keys from the environment, a file, or a generated local file.
  public static func load(environment: [String: String], dataDirectory: String, logger: Logger)
    throws -> [PrivateSigningKey]
  {
    if let text = environment["SAFEMAP_SIGNING_KEYS"], !text.isEmpty {
      return try SigningKeyFile.parse(text)
    }
    if let path = environment["SAFEMAP_SIGNING_KEY_FILE"], !path.isEmpty {
      guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw Failure(description: "SAFEMAP_SIGNING_KEY_FILE: cannot read \(path)")
      }
      return try SigningKeyFile.parse(text)
    }
    let path = dataDirectory + "/signing-keys"
    if let text = try? String(contentsOfFile: path, encoding: .utf8) {
      return try SigningKeyFile.parse(text)
    }
    let key = PrivateSigningKey.generate()
    try FileManager.default.createDirectory(
      atPath: dataDirectory, withIntermediateDirectories: true)
    guard
      FileManager.default.createFile(
        atPath: path, contents: Data(SigningKeyFile.render([key]).utf8),
        attributes: [.posixPermissions: 0o600])
    else { throw Failure(description: "cannot write \(path)") }
    logger.notice("generated a local signing key", metadata: ["path": "\(path)", "kid": "\(key.keyID)"])
    return [key]
  }

  /// Publishes the public halves (un-retiring a key that comes back).
  public static func publish(_ keys: [PrivateSigningKey], database: Database) async throws {
    let publicKeys = keys.map(\.publicKey)
    try await database.withGlobalConnection { connection in
      for key in publicKeys {
        try await connection.query(
          """
          INSERT INTO signing_keys (key_id, public_key) VALUES (\(key.keyID), \(Data(key.rawPublicKey)))
          ON CONFLICT (key_id) DO UPDATE SET retired_at = NULL
          WHERE signing_keys.public_key = excluded.public_key
          """, logger: database.logger)
      }
    }
  }

  /// Public keys that may have signed a token still valid now: active ones, and retired ones
  /// for an hour (well past the 15-minute token lifetime).
  static func publishedKeys(database: Database) async throws -> [PublicSigningKey] {
    try await database.withGlobalConnection { connection in
      let rows = try await connection.query(
        """
        SELECT key_id, public_key FROM signing_keys
        WHERE retired_at IS NULL OR retired_at > now() - interval '1 hour'
        ORDER BY created_at DESC
        """, logger: database.logger)
      var keys: [PublicSigningKey] = []
      for try await (id, raw) in rows.decode((String, Data).self) {
        keys.append(PublicSigningKey(keyID: id, rawPublicKey: Array(raw)))
      }
      return keys
    }
  }
}

/// account-service verifies tokens against the same published keys, read from the database.
public struct DatabaseKeySource: SigningKeySource {
  public let database: Database

  public init(database: Database) {
    self.database = database
  }

  public func fetchKeys() async throws -> [PublicSigningKey] {
    try await SigningKeyStore.publishedKeys(database: database)
  }
}
