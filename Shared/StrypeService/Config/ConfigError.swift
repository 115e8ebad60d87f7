/// A configuration problem found at start: names the variable so the one-line message says what to fix.
package struct ConfigError: Error, CustomStringConvertible, Equatable {
    package let variable: String
    package let reason: String

    package init(_ variable: String, _ reason: String) {
        self.variable = variable
        self.reason = reason
    }

    package var description: String { "\(variable): \(reason)" }
}
