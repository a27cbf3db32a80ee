/// The password rules of docs/architecture.md: 8–128 characters, not the username, not a common
/// password (the list is data, passed in). Each broken rule gets its own message.
public enum PasswordPolicy {
  public static let minimumLength = 8
  public static let maximumLength = 128

  /// Violations of `password` for the account `username`, named under `field`.
  public static func violations(
    password: String,
    username: String,
    field: String = "password",
    commonPasswords: Set<String> = []
  ) -> FieldViolations {
    var violations = FieldViolations()
    let length = password.count
    violations.require(
      length >= minimumLength,
      field,
      "must be at least \(minimumLength) characters"
    )
    violations.require(
      length <= maximumLength,
      field,
      "must be at most \(maximumLength) characters"
    )
    violations.require(
      password.lowercased() != username.lowercased(),
      field,
      "must not be the username"
    )
    violations.require(
      !commonPasswords.contains(password.lowercased()),
      field,
      "is too common; choose a password that is not on lists of common passwords"
    )
    return violations
  }
}
