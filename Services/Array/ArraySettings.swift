import StrypeService

/// Array's own settings, parsed once at start.
struct ArraySettings: Sendable {
    /// How long a member stays online in Redis without a heartbeat.
    var presenceTTL: Duration
    var requestTimeout: Duration
    var instanceURL: String

    init(environment: EnvironmentReader, port: Int, host: String) throws(ConfigError) {
        presenceTTL = .seconds(try environment.integer("PRESENCE_TTL_SECONDS", default: 30, in: 3...600))
        requestTimeout = .seconds(
            try environment.integer("AGENT_REQUEST_TIMEOUT_SECONDS", default: 30, in: 1...600)
        )
        if let url = environment.optional("ARRAY_INTERNAL_URL") {
            _ = try ConnectionURL(url, schemes: ["http", "https"], variable: "ARRAY_INTERNAL_URL")
            instanceURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        } else {
            instanceURL = "http://\(InstanceAddress.reachable(host: host)):\(port)"
        }
    }
}
