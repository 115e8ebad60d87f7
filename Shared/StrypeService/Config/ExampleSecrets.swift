/// Refuses secrets that are examples, placeholders or too short to resist guessing, so a deployment never runs on a
/// value copied from documentation.
package enum ExampleSecrets {
    /// The shortest shared secret accepted: 32 characters (`openssl rand -hex 32` makes 64).
    package static let minimumLength = 32

    /// Words that mark a value as a placeholder someone forgot to replace.
    static let placeholderWords = [
        "change-me", "changeme", "change_me", "replace-me", "replaceme", "example", "placeholder",
    ]

    /// Throws when `secret` is shorter than `minimumLength`, one character repeated, or a placeholder.
    package static func refuse(_ secret: String, variable: String) throws(ConfigError) {
        guard secret.utf8.count >= minimumLength else {
            throw ConfigError(
                variable,
                "must be at least \(minimumLength) characters (generate one with: openssl rand -hex 32)"
            )
        }
        if let reason = weakness(secret) {
            throw ConfigError(variable, "\(reason); generate one with: openssl rand -hex 32")
        }
    }

    /// Throws when the password inside a connection URL is a placeholder (its strength is the server's business).
    package static func refuse(password: String?, variable: String) throws(ConfigError) {
        guard let password, isPlaceholder(password) else { return }
        throw ConfigError(variable, "its password is an example value; set a real one")
    }

    /// Why `value` is not a secret ("is ..."), or nil when nothing is wrong with it.
    static func weakness(_ value: String) -> String? {
        if Set(value.unicodeScalars).count == 1 { return "is one character repeated" }
        return isPlaceholder(value) ? "is an example value" : nil
    }

    static func isPlaceholder(_ value: String) -> Bool {
        let lowered = value.lowercased()
        return placeholderWords.contains { lowered.contains($0) }
    }
}
