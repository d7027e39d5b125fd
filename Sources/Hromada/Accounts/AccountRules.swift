import Foundation

/// Checks on what a person types when signing up; each failure is a catalogue key per field.
public enum AccountRules {
    public static let minimumPasswordLength = 10
    public static let maximumPasswordLength = 200

    public static func normalizedEmail(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    public static func isPlausibleEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), email.count <= 254,
            !parts[1].hasPrefix("."), !parts[1].hasSuffix(".")
        else { return false }
        return !email.contains { $0.isWhitespace }
    }

    /// Field errors for a sign-up; empty when everything is acceptable.
    public static func signUpErrors(email: String, fullName: String, password: String) -> [String: String] {
        var errors: [String: String] = [:]
        if !isPlausibleEmail(email) { errors["email"] = "signup.error.email" }
        let name = fullName.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.count > 200 { errors["full_name"] = "signup.error.full_name" }
        errors.merge(passwordErrors(password)) { $1 }
        return errors
    }

    /// The `password` field's error for a new password (sign-up, reset); empty when it is acceptable.
    public static func passwordErrors(_ password: String) -> [String: String] {
        password.count < minimumPasswordLength || password.count > maximumPasswordLength
            ? ["password": "signup.error.password_length"] : [:]
    }
}
