public import GRPCCore
public import SafeMapAPI
import SafeMapAuth
import SafeMapCore
public import SafeMapDatabase
import SafeMapRuntime

/// `safemap.reporting.v1.ReportingService`: reports, lists, exports, the map layer,
/// campaigns and trends.
public struct ReportingService: Safemap_Reporting_V1_ReportingService.SimpleServiceProtocol {
  public let database: Database
  let publicMapReads: PublicMapReads

  /// - Parameter maximumConnections: the pool's size; anonymous public-map reads may hold
  ///   about 30 % of it (three connections per read, at least one read).
  public init(database: Database, maximumConnections: Int = 20) {
    self.database = database
    publicMapReads = PublicMapReads(concurrentReads: maximumConnections * 3 / 10 / 3)
  }

  /// The scope of a report for the caller, or the status that refuses it.
  static func scope(
    _ principal: Principal,
    province: String,
    district: String = "",
    zone: String = "",
    allowNational: Bool = false
  ) throws -> ReportScope {
    let resolved = ReportScope.resolve(
      principal,
      province: province,
      district: district,
      zone: zone,
      allowNational: allowNational
    )
    switch resolved {
    case .success(let scope):
      return scope
    case .failure(.notAnOfficial):
      throw RPCError(code: .permissionDenied, message: "reports are for officials")
    case .failure(.outsideScope(let field)):
      throw RPCError(code: .permissionDenied, message: "\(field): outside your scope")
    case .failure(.provinceRequired):
      throw RPCError(code: .invalidArgument, message: "province_code: required for ministry users")
    case .failure(.malformed(let field)):
      throw RPCError(code: .invalidArgument, message: "\(field): not a valid code or id")
    }
  }

  /// The database tenant a scope reads: one province, or every province for the ministry's
  /// national reports.
  static func tenant(_ scope: ReportScope) throws -> Tenant {
    guard let province = scope.province else { return .allProvinces }
    guard let tenant = Tenant.province(province) else {
      throw RPCError(code: .invalidArgument, message: "province_code: not a valid code")
    }
    return tenant
  }
}
