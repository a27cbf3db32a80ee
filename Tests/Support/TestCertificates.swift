import Foundation

/// A throwaway certificate authority and certificates for the TLS tests, minted with Debian's
/// openssl into a temporary folder: a CA, a server certificate for `localhost` and 127.0.0.1,
/// a client certificate from the same CA, and a client certificate from a CA nobody trusts.
public struct TestCertificates: Sendable {
  public let directory: String
  public var caFile: String { directory + "/ca.pem" }
  public var serverCertificate: String { directory + "/server.pem" }
  public var serverKey: String { directory + "/server.key" }
  public var clientCertificate: String { directory + "/client.pem" }
  public var clientKey: String { directory + "/client.key" }
  /// web-service's client certificate: its name is what account-service believes.
  public var webCertificate: String { directory + "/web.pem" }
  public var webKey: String { directory + "/web.key" }
  public var strangerCertificate: String { directory + "/stranger.pem" }
  public var strangerKey: String { directory + "/stranger.key" }

  public static func make() async throws -> TestCertificates {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("safemap-tls-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let certificates = TestCertificates(directory: directory)
    try await certificates.authority("ca")
    try await certificates.authority("stranger-ca")
    try await certificates.leaf(
      "server",
      ca: "ca",
      name: "localhost",
      extensions:
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth"
    )
    try await certificates.leaf(
      "client",
      ca: "ca",
      name: "assessment-service",
      extensions: "extendedKeyUsage=clientAuth"
    )
    try await certificates.leaf(
      "web",
      ca: "ca",
      name: "web",
      extensions: "subjectAltName=DNS:web,DNS:web-service\nextendedKeyUsage=clientAuth"
    )
    try await certificates.leaf(
      "stranger",
      ca: "stranger-ca",
      name: "stranger",
      extensions: "extendedKeyUsage=clientAuth"
    )
    return certificates
  }

  private func openssl(_ arguments: [String]) async throws {
    _ = try await Shell.run("/usr/bin/openssl", arguments)
  }

  private func authority(_ name: String) async throws {
    try await openssl([
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem", "-days", "2",
      "-subj", "/CN=SafeMap test \(name)",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign",
    ])
  }

  private func leaf(_ name: String, ca: String, name commonName: String, extensions: String)
    async throws
  {
    let extensionsFile = "\(directory)/\(name).ext"
    try extensions.write(toFile: extensionsFile, atomically: true, encoding: .utf8)
    try await openssl([
      "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr",
      "-subj", "/CN=\(commonName)",
    ])
    try await openssl([
      "x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", "\(directory)/\(ca).pem",
      "-CAkey", "\(directory)/\(ca).key", "-CAcreateserial", "-days", "2",
      "-out", "\(directory)/\(name).pem", "-extfile", extensionsFile,
    ])
  }
}
