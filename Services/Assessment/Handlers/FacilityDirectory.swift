import Foundation
public import GRPCCore
public import SafeMapAPI
import SafeMapAuth
import SafeMapContract
import SafeMapCore
import SwiftProtobuf
import Synchronization

/// Where facility profiles come from (account-service; a stub would only hide the real path,
/// so tests run the real one).
public protocol FacilityProfiles: Sendable {
  func profile(province: String, facilityID: String) async throws -> Safemap_Account_V1_Facility
}

/// The facility profiles assessment-service scores against, from account-service over gRPC.
///
/// Calls carry the caller's own token, so account-service applies the caller's scope: a
/// profile the caller may not see comes back NOT_FOUND and the assessment call fails the same
/// way. Profiles are cached for a few seconds per caller and facility (a burst of submissions
/// or status reads costs one call); an unreachable account-service is UNAVAILABLE.
public final class FacilityDirectory<Transport: ClientTransport>: FacilityProfiles {
  let client: GRPCClient<Transport>
  let ttl: Duration
  /// Longest wait for account-service's answer (`SAFEMAP_PROFILE_TIMEOUT_S`).
  let timeout: Duration

  private struct Entry {
    var facility: Safemap_Account_V1_Facility
    var expires: ContinuousClock.Instant
  }
  private let cache = Mutex<[String: Entry]>([:])

  public init(
    client: GRPCClient<Transport>,
    ttl: Duration = .seconds(10),
    timeout: Duration = .seconds(3)
  ) {
    self.client = client
    self.ttl = ttl
    self.timeout = timeout
  }

  public func profile(province: String, facilityID: String) async throws
    -> Safemap_Account_V1_Facility
  {
    guard let authorization = RequestPrincipal.authorization else {
      throw RPCError(code: .unauthenticated, message: "no caller token to forward")
    }
    let key = "\(authorization)|\(province)|\(facilityID)"
    let now = ContinuousClock.now
    if let hit = cache.withLock({ $0[key] }), hit.expires > now { return hit.facility }
    let facilities = Safemap_Account_V1_FacilityService.Client(wrapping: client)
    var options = CallOptions.defaults
    options.timeout = timeout
    let facility: Safemap_Account_V1_Facility
    do {
      facility = try await facilities.getFacility(
        .with {
          $0.provinceCode = province
          $0.facilityID = facilityID
        },
        metadata: ["authorization": .string(authorization)],
        options: options
      ).facility
    } catch let error as RPCError {
      switch error.code {
      case .notFound: throw RPCError(code: .notFound, message: "facility_id: no such facility")
      case .invalidArgument, .permissionDenied, .unauthenticated, .failedPrecondition: throw error
      default:
        throw RPCError(code: .unavailable, message: "account-service unavailable: \(error.message)")
      }
    } catch {
      throw RPCError(code: .unavailable, message: "account-service unavailable")
    }
    cache.withLock { cache in
      if cache.count > 10_000 { cache.removeAll() }
      cache[key] = Entry(facility: facility, expires: now.advanced(by: ttl))
    }
    return facility
  }
}
