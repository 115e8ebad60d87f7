/// Rules for request fields several services share; each violation is a 400 naming the field.
package enum FieldRules {
    package static let nameMaximumCharacters = 200

    /// A display name trimmed, if it is 1 to 200 characters without control characters (C0, DEL, C1).
    package static func name(_ raw: String, field: String = "name") throws -> String {
        let name = raw.trimmingWhitespace()
        guard !name.isEmpty else { throw APIError.invalidField(field, "is required") }
        guard name.count <= nameMaximumCharacters else {
            throw APIError.invalidField(field, "must be at most \(nameMaximumCharacters) characters")
        }
        guard !containsControlCharacters(name) else {
            throw APIError.invalidField(field, "must not contain control characters")
        }
        return name
    }

    /// Whether the text holds control characters (C0, DEL, C1), never welcome in names or addresses.
    package static func containsControlCharacters(_ text: some StringProtocol) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }
}
