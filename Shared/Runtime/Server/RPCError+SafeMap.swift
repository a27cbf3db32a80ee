public import GRPCCore
public import SafeMapCore

extension RPCError {
  /// INVALID_ARGUMENT listing every violation (`field: description; …`).
  public static func invalidArgument(_ violations: FieldViolations) -> RPCError {
    RPCError(code: .invalidArgument, message: violations.message)
  }
}

extension Principal {
  /// The tenant for a request naming `provinceCode`, or the status the caller gets: ministry
  /// without a province → INVALID_ARGUMENT; another province → PERMISSION_DENIED.
  public func tenant(forRequested provinceCode: String, field: String = "province_code")
    throws -> Tenant
  {
    switch resolveProvince(requested: provinceCode) {
    case .resolved(let tenant): return tenant
    case .missing:
      throw RPCError(code: .invalidArgument, message: "\(field): required for ministry users")
    case .malformed:
      throw RPCError(code: .invalidArgument, message: "\(field): must be a two-digit province code")
    case .otherProvince:
      throw RPCError(code: .permissionDenied, message: "\(field): outside your province")
    }
  }
}
