import StrypeService

/// The rules for what users type: emails, passwords and names. Each violation is a 400 naming the field.
enum InputRules {
    static let passwordMinimumBytes = 10
    static let passwordMaximumBytes = 1024

    /// The email trimmed and lower-cased, if it is a plausible address (`local@domain.tld`, ASCII domain labels).
    static func email(_ raw: String, field: String = "email") throws -> String {
        let email = raw.trimmingWhitespace().lowercased()
        guard !email.isEmpty else { throw APIError.invalidField(field, "is required") }
        guard email.utf8.count <= 254 else { throw APIError.invalidField(field, "is longer than 254 bytes") }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else {
            throw APIError.invalidField(field, "must be an address like name@example.com")
        }
        let forbiddenInLocal = Set("\"(),:;<>[\\] \t\r\n")
        guard !parts[0].contains(where: { forbiddenInLocal.contains($0) }),
            !FieldRules.containsControlCharacters(parts[0]),
            !parts[0].hasPrefix("."), !parts[0].hasSuffix("."), !parts[0].contains("..")
        else {
            throw APIError.invalidField(field, "must be an address like name@example.com")
        }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        let validLabels =
            labels.count >= 2
            && labels.allSatisfy { label in
                (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
        guard validLabels, labels.last!.allSatisfy(\.isLetter) || labels.last!.hasPrefix("xn--") else {
            throw APIError.invalidField(field, "must be an address like name@example.com")
        }
        return email
    }

    /// The password, if it is 10 to 1024 bytes of UTF-8.
    static func password(_ password: String, field: String = "password") throws -> String {
        let length = password.utf8.count
        guard length >= passwordMinimumBytes else {
            throw APIError.invalidField(field, "must be at least \(passwordMinimumBytes) bytes")
        }
        guard length <= passwordMaximumBytes else {
            throw APIError.invalidField(field, "must be at most \(passwordMaximumBytes) bytes")
        }
        return password
    }

    /// The name trimmed, if it is 1 to 200 characters without control characters.
    static func name(_ raw: String, field: String = "name") throws -> String {
        try FieldRules.name(raw, field: field)
    }

    /// Known role names only, `user` always included.
    static func roles(_ roles: [String], field: String = "roles") throws -> [String] {
        let known: Set<String> = [Role.user, Role.admin]
        for role in roles where !known.contains(role) {
            throw APIError.invalidField(field, "unknown role \(role); roles are user and admin")
        }
        return Array(Set(roles).union([Role.user])).sorted()
    }
}
