/// Body of `GET /health`: the process is up.
public struct HealthResponse: Codable, Sendable, Equatable {
    public var status: String
    public var service: String
    public var version: String

    public init(status: String = "ok", service: String, version: String) {
        self.status = status
        self.service = service
        self.version = version
    }
}

/// Body of `GET /ready`: each dependency's state, `"ok"` or the reason it failed; `error` is set when not ready.
public struct ReadinessResponse: Codable, Sendable, Equatable {
    public var status: String
    public var checks: [String: String]
    public var error: ErrorBody.Detail?

    public init(status: String, checks: [String: String], error: ErrorBody.Detail? = nil) {
        self.status = status
        self.checks = checks
        self.error = error
    }
}
