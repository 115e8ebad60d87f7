/// The one JSON error shape every service answers with: `{"error":{"code","message"}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// The code and message inside the `error` object.
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var error: Detail

    public init(code: String, message: String) {
        self.error = Detail(code: code, message: message)
    }
}
