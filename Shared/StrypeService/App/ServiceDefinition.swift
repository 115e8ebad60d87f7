import Hummingbird
import ServiceLifecycle
import StrypeCore

/// What makes one service different from another: its name, its peers, its migrations and its routes.
package struct ServiceDefinition: Sendable {
    package let name: ServiceName
    package let version: String
    /// The services this one calls; their `<NAME>_URL` variables are required.
    package let peers: [ServiceName]
    /// Whether `CLOUDSTRYPE_MASTER_KEY` is required (services that wrap keys or secrets).
    package let needsMasterKey: Bool
    package let migrations: [Migration]
    /// Checks the service's own environment variables at start; a `ConfigError` stops the process like any other.
    package let validateEnvironment: @Sendable (EnvironmentReader) throws(ConfigError) -> Void
    /// Adds the service's own routes to the router and returns the background work to run beside the server.
    package let build: @Sendable (Router<StrypeRequestContext>, ServiceDependencies) -> [any Service]

    package init(
        name: ServiceName,
        version: String = StrypeVersion.current,
        peers: [ServiceName] = [],
        needsMasterKey: Bool = false,
        migrations: [Migration],
        validateEnvironment: @escaping @Sendable (EnvironmentReader) throws(ConfigError) -> Void = { _ in },
        build: @escaping @Sendable (Router<StrypeRequestContext>, ServiceDependencies) -> [any Service] = { _, _ in [] }
    ) {
        self.name = name
        self.version = version
        self.peers = peers
        self.needsMasterKey = needsMasterKey
        self.migrations = migrations
        self.validateEnvironment = validateEnvironment
        self.build = build
    }
}

/// The version every binary of this build reports.
package enum StrypeVersion {
    package static let current = "0.1.0"
}
