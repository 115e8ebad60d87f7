/// The one JSON error shape every service answers with: `{"error":{"code","message"}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// The code and message inside the `error` object.
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        /// The request field at fault, for validation errors.
        public var field: String?

        public init(code: String, message: String, field: String? = nil) {
            self.code = code
            self.message = message
            self.field = field
        }
    }

    public var error: Detail

    public init(code: String, message: String, field: String? = nil) {
        self.error = Detail(code: code, message: message, field: field)
    }
}
