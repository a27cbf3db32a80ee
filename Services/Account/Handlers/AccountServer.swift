public import GRPCCore
import NIOCore
import NIOPosix
public import SafeMapAPI
import SafeMapAuth
public import SafeMapRuntime

/// Assembles account-service on a ``ServiceHost``: its four RPC services, its signing keys and
/// the first ministry admin. The executable and the tests both start it through here.
public enum AccountServer {
  /// Callable without a token.
  public static let publicMethods: Set<MethodDescriptor> = [
    Safemap_Account_V1_AccountService.Method.Login.descriptor,
    Safemap_Account_V1_AccountService.Method.RefreshToken.descriptor,
    Safemap_Account_V1_AccountService.Method.GetSigningKeys.descriptor,
    // Browser sessions: no bearer token, but only web-service's identity (checked in the
    // handlers, TrustedProxyPolicy).
    Safemap_Account_V1_AccountService.Method.CreateWebSession.descriptor,
    Safemap_Account_V1_AccountService.Method.GetWebSession.descriptor,
    Safemap_Account_V1_AccountService.Method.EndWebSession.descriptor,
    // Reference data the public map names provinces and districts with.
    Safemap_Account_V1_FacilityService.Method.ListProvinces.descriptor,
    Safemap_Account_V1_FacilityService.Method.ListDistricts.descriptor,
  ]

  /// What anyone on the internet reaches (through web-service or directly): held to the
  /// per-client rate (``ServiceConfiguration/anonymousRateLimit``). Token refresh and the
  /// signing keys are left out: web-service and the other services call those for everyone.
  public static let rateLimitedMethods: Set<MethodDescriptor> = [
    Safemap_Account_V1_AccountService.Method.Login.descriptor,
    Safemap_Account_V1_FacilityService.Method.ListProvinces.descriptor,
    Safemap_Account_V1_FacilityService.Method.ListDistricts.descriptor,
  ]

  /// All a holder of a one-time password may do (docs/domain.md: workflow step 2).
  public static let allowedDuringPasswordChange: Set<MethodDescriptor> = [
    Safemap_Account_V1_AccountService.Method.ChangePassword.descriptor,
    Safemap_Account_V1_AccountService.Method.WhoAmI.descriptor,
    Safemap_Account_V1_AccountService.Method.Logout.descriptor,
  ]

  /// Serves until shutdown. `environment` supplies the signing keys and the bootstrap admin.
  public static func run(host: ServiceHost, environment: [String: String]) async throws {
    let keys = try SigningKeyStore.load(
      environment: environment,
      dataDirectory: host.configuration.dataDirectory,
      logger: host.logger
    )
    let bootstrap = try AdminBootstrap(environment: environment)
    let database = host.database
    let signer = await TokenSigner(
      activeKey: keys[0],
      audience: host.configuration.tokenAudience,
      issuer: host.configuration.tokenIssuer
    )
    // Argon2id runs on its own threads, one fewer than the cores (at least one), so a login
    // storm queues there and never starves the event loops; each thread holds 19 MiB at most.
    let threads =
      Int(environment["SAFEMAP_PASSWORD_HASH_THREADS"] ?? "") ?? max(1, System.coreCount - 1)
    let hashingPool = NIOThreadPool(numberOfThreads: max(1, threads))
    hashingPool.start()
    defer { Task { try? await hashingPool.shutdownGracefully() } }
    // The queue in front of the threads is bounded too: a login storm beyond it is refused at
    // once rather than waiting in memory.
    let queueLimit =
      Int(environment["SAFEMAP_PASSWORD_HASH_QUEUE"] ?? "").map { max(1, $0) } ?? 16
      * max(1, threads)
    var context = AccountContext(
      database: database,
      signer: signer,
      hasher: PasswordHasher(pool: hashingPool, queueLimit: queueLimit),
      logger: host.logger
    )
    context.webService = host.configuration.trustedProxyPolicy
    if let idle = environment["SAFEMAP_WEB_SESSION_IDLE_S"].flatMap({ Double($0) }), idle >= 60 {
      context.webSessionIdle = idle
    }
    if let lifetime = environment["SAFEMAP_WEB_SESSION_LIFETIME_S"].flatMap({ Double($0) }),
      lifetime >= 60
    {
      context.webSessionLifetime = lifetime
    }
    // How long a handed-out one-time password works (docs/operations.md), 1 to 365 days.
    if let days = environment["SAFEMAP_ONE_TIME_PASSWORD_DAYS"].flatMap({ Double($0) }) {
      context.oneTimePasswordLifetime = min(365, max(1, days)) * 24 * 3600
    }
    if let rows = environment["SAFEMAP_ISSUANCE_MAX_ROWS"].flatMap({ Int($0) }) {
      context.issuanceMaximumRows = max(1, rows)
    }
    try await host.run(
      services: [
        AccountService(context: context), FacilityService(context: context),
        NominationService(context: context), CredentialService(context: context),
      ],
      keySource: DatabaseKeySource(database: database),
      publicMethods: publicMethods,
      rateLimitedMethods: rateLimitedMethods,
      allowedDuringPasswordChange: allowedDuringPasswordChange,
      prepare: {
        try await SigningKeyStore.publish(keys, database: database)
        try await bootstrap?.apply(database: database, logger: host.logger)
      }
    )
  }
}
