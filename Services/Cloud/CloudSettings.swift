import StrypeService

/// Cloud's own settings, read from its environment and checked at start (a bad value stops it with exit 78).
struct CloudSettings: Sendable {
    /// Seconds between two probes of every account (`HEALTH_PROBE_SECONDS`).
    var healthProbeSeconds = 300
    /// Where local-directory accounts may live (`LOCAL_STORAGE_ROOTS`); none: local accounts are refused.
    var localRoots = LocalRoots(paths: [])
    /// The private endpoints the operator allows (`ALLOWED_PRIVATE_ENDPOINTS`); none by default.
    var endpoints = EndpointPolicy(allowedPrivate: [])

    init() {}

    init(_ environment: EnvironmentReader) throws(ConfigError) {
        healthProbeSeconds = try environment.integer("HEALTH_PROBE_SECONDS", default: 300, in: 5...86_400)
        localRoots = try LocalRoots.parse(environment.optional(LocalRoots.variable))
        endpoints = try EndpointPolicy.parse(environment.optional(EndpointPolicy.variable))
    }
}
