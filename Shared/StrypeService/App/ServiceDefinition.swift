import Hummingbird
import HummingbirdCore
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
    /// Whether the process moves whole chunks (codec, relay, transfers) and so keeps large buffers mapped for reuse
    /// (`MemoryTuning.reuseLargeBuffers`): returned to the system, every chunk buffer was fresh pages the kernel
    /// zeroes, a third of array's CPU in a download. The others return large blocks to the system.
    package let keepsLargeBuffers: Bool
    package let migrations: [Migration]
    /// Checks the service's own environment variables at start; a `ConfigError` stops the process like any other.
    package let validateEnvironment: @Sendable (EnvironmentReader) throws(ConfigError) -> Void
    /// Adds the service's own routes to the router and returns the background work and the server's channel.
    package let assemble: @Sendable (Router<StrypeRequestContext>, ServiceDependencies) -> ServiceParts

    package init(
        name: ServiceName,
        version: String = StrypeVersion.current,
        peers: [ServiceName] = [],
        needsMasterKey: Bool = false,
        keepsLargeBuffers: Bool = false,
        migrations: [Migration],
        validateEnvironment: @escaping @Sendable (EnvironmentReader) throws(ConfigError) -> Void = { _ in },
        build: @escaping @Sendable (Router<StrypeRequestContext>, ServiceDependencies) -> [any Service] = { _, _ in [] }
    ) {
        self.name = name
        self.version = version
        self.peers = peers
        self.needsMasterKey = needsMasterKey
        self.keepsLargeBuffers = keepsLargeBuffers
        self.migrations = migrations
        self.validateEnvironment = validateEnvironment
        self.assemble = { router, dependencies in ServiceParts(services: build(router, dependencies)) }
    }

    /// A service whose server is more than plain HTTP/1 (array upgrades agents to WebSocket).
    package init(
        name: ServiceName,
        peers: [ServiceName] = [],
        keepsLargeBuffers: Bool = false,
        migrations: [Migration],
        validateEnvironment: @escaping @Sendable (EnvironmentReader) throws(ConfigError) -> Void = { _ in },
        assemble: @escaping @Sendable (Router<StrypeRequestContext>, ServiceDependencies) -> ServiceParts
    ) {
        self.name = name
        self.version = StrypeVersion.current
        self.peers = peers
        self.needsMasterKey = false
        self.keepsLargeBuffers = keepsLargeBuffers
        self.migrations = migrations
        self.validateEnvironment = validateEnvironment
        self.assemble = assemble
    }
}

/// What a service adds beside its routes: background work, and how its server speaks.
package struct ServiceParts: Sendable {
    package var services: [any Service]
    package var server: HTTPServerBuilder

    package init(services: [any Service] = [], server: HTTPServerBuilder = .http1()) {
        self.services = services
        self.server = server
    }
}

/// The version every binary of this build reports.
package enum StrypeVersion {
    package static let current = "0.1.0"
}
