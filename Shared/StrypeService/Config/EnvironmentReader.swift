/// Reads typed values from an environment dictionary, throwing a `ConfigError` that names the variable.
/// Printing it shows no value: the environment holds secrets.
package struct EnvironmentReader: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    package let values: [String: String]

    package init(_ values: [String: String]) {
        self.values = values
    }

    package var description: String { "EnvironmentReader(\(values.count) variables)" }
    package var debugDescription: String { description }

    /// The trimmed value, or nil when unset or blank.
    package func optional(_ name: String) -> String? {
        guard let raw = values[name] else { return nil }
        let trimmed = raw.trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The value, or a "is required" error.
    package func required(_ name: String) throws(ConfigError) -> String {
        guard let value = optional(name) else { throw ConfigError(name, "is required but not set") }
        return value
    }

    /// An integer within `range`, or `defaultValue` when unset.
    package func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(ConfigError)
        -> Int
    {
        guard let raw = optional(name) else { return defaultValue }
        guard let value = Int(raw) else { throw ConfigError(name, "must be a whole number, got \"\(raw)\"") }
        guard range.contains(value) else {
            throw ConfigError(name, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    package func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
