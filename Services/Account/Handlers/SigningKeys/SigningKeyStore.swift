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
      atPath: dataDirectory,
      withIntermediateDirectories: true
    )
    guard
      FileManager.default.createFile(
        atPath: path,
        contents: Data(SigningKeyFile.render([key]).utf8),
        attributes: [.posixPermissions: 0o600]
      )
    else { throw Failure(description: "cannot write \(path)") }
    logger.notice(
      "generated a local signing key",
      metadata: ["path": "\(path)", "kid": "\(key.keyID)"]
    )
    return [key]
  }

  /// Publishes the public halves of the configured keys and retires every published key that
  /// is not among them and was published before the newest of them, in one transaction. Nothing un-retires a key: a key taken out of the
  /// configuration stays out, whatever an older replica still configured with it publishes.
  /// Fails when the signing key (the first) has been retired, since nobody would accept its
  /// tokens.
  public static func publish(_ keys: [PrivateSigningKey], database: Database) async throws {
    let publicKeys = keys.map(\.publicKey)
    let ids = publicKeys.map(\.keyID)
    let retired = try await database.withMaintenanceConnection { connection in
      try await connection.withTransaction(logger: database.logger) { tx in
        for key in publicKeys {
          try await tx.query(
            """
            INSERT INTO signing_keys (key_id, public_key)
            VALUES (\(key.keyID), \(Data(key.rawPublicKey)))
            ON CONFLICT (key_id) DO NOTHING
            """,
            logger: database.logger
          )
        }
        // Only keys published before the newest configured one: a replica still configured
        // with an older key set (a lagging rollout, a rollback) must not retire a newer key
        // that other replicas already sign with.
        try await tx.query(
          """
          UPDATE signing_keys SET retired_at = now()
          WHERE retired_at IS NULL AND NOT (key_id = ANY(\(ids)))
            AND created_at < (SELECT max(created_at) FROM signing_keys WHERE key_id = ANY(\(ids)))
          """,
          logger: database.logger
        )
        let rows = try await tx.query(
          """
          SELECT key_id FROM signing_keys
          WHERE key_id = ANY(\(ids)) AND retired_at IS NOT NULL
          """,
          logger: database.logger
        )
        var retired: Set<String> = []
        for try await id in rows.decode(String.self) { retired.insert(id) }
        return retired
      }
    }
    if let signing = ids.first, retired.contains(signing) {
      throw Failure(
        description: "signing key \(signing) was retired and cannot sign again; "
          + "generate a new key (deploy/new-signing-key.sh)"
      )
    }
  }

  /// The keys tokens may be signed with: the published keys not retired. A key removed from
  /// account-service's configuration is refused everywhere from the verifiers' next refresh
  /// (README: remove a key only once the tokens it signed have expired).
  static func publishedKeys(on connection: PostgresConnection) async throws -> [PublicSigningKey] {
    let rows = try await connection.query(
      """
      SELECT key_id, public_key FROM signing_keys WHERE retired_at IS NULL
      ORDER BY created_at DESC
      """,
      logger: connection.logger
    )
    var keys: [PublicSigningKey] = []
    for try await (id, raw) in rows.decode((String, Data).self) {
      keys.append(PublicSigningKey(keyID: id, rawPublicKey: Array(raw)))
    }
    return keys
  }
}

/// account-service verifies tokens against the same published keys, read from the database.
public struct DatabaseKeySource: SigningKeySource {
  public let database: Database

  public init(database: Database) {
    self.database = database
  }

  public func fetchKeys() async throws -> [PublicSigningKey] {
    try await database.withMaintenanceConnection { try await SigningKeyStore.publishedKeys(on: $0) }
  }
}
