/// The password rules of DESIGN.md §4 that need no word list: 8–128 characters and not the
/// username. Each broken rule gets its own message.
public enum PasswordPolicy {
  public static let minimumLength = 8
  public static let maximumLength = 128

  /// Violations of `password` for the account `username`, named under `field`.
  public static func violations(
    password: String, username: String, field: String = "password"
  ) -> FieldViolations {
    var violations = FieldViolations()
    let length = password.count
    violations.require(
      length >= minimumLength, field, "must be at least \(minimumLength) characters")
    violations.require(
      length <= maximumLength, field, "must be at most \(maximumLength) characters")
    violations.require(
      password.lowercased() != username.lowercased(), field, "must not be the username")
    return violations
  }
}
