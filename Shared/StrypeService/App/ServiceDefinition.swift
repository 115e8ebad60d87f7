import Hummingbird
import HummingbirdCore
import ServiceLifecycle
import StrypeCore

/// What makes one service different from another: its name, its peers, its migrations, its settings and its routes.
package struct ServiceDefinition: Sendable {
    /// Builds a service's parts from the process's clients, with its settings already parsed.
    package typealias Assembly = @Sendable (ServiceDependencies) -> ServiceParts

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
    /// Parses the service's own settings, once, at start (a `ConfigError` stops the process with exit 78), and
    /// returns what builds the service from them.
    package let prepare: @Sendable (ServiceConfig) throws(ConfigError) -> Assembly

    /// A service with settings of its own: `settings` reads them from the configuration, `build` makes the
    /// controllers and background work from them.
    package init<Settings: Sendable>(
        name: ServiceName,
        version: String = StrypeVersion.current,
        peers: [ServiceName] = [],
        needsMasterKey: Bool = false,
        keepsLargeBuffers: Bool = false,
        migrations: [Migration],
        settings: @escaping @Sendable (ServiceConfig) throws(ConfigError) -> Settings,
        build: @escaping @Sendable (ServiceDependencies, Settings) -> ServiceParts
    ) {
        self.name = name
        self.version = version
        self.peers = peers
        self.needsMasterKey = needsMasterKey
        self.keepsLargeBuffers = keepsLargeBuffers
        self.migrations = migrations
        self.prepare = { config throws(ConfigError) in
            let settings = try settings(config)
            return { dependencies in build(dependencies, settings) }
        }
    }

    /// A service without settings of its own (the shared runtime's tests).
    package init(
        name: ServiceName,
        peers: [ServiceName] = [],
        needsMasterKey: Bool = false,
        migrations: [Migration],
        build: @escaping Assembly = { _ in ServiceParts() }
    ) {
        self.init(
            name: name,
            peers: peers,
            needsMasterKey: needsMasterKey,
            migrations: migrations,
            settings: { _ in () },
            build: { dependencies, _ in build(dependencies) }
        )
    }
}

/// What a service consists of: the controllers of its routes, its background work, and how its server speaks.
package struct ServiceParts: Sendable {
    package var controllers: [any RouteController]
    /// The token check of the controllers' authenticated groups; nil for a service without any.
    package var authentication: AuthenticationMiddleware?
    package var services: [any Service]
    package var server: HTTPServerBuilder
    /// Which controller serves which route, filled as the runtime mounts `controllers`.
    package var routes = RouteTable()

    package init(
        controllers: [any RouteController] = [],
        authentication: AuthenticationMiddleware? = nil,
        services: [any Service] = [],
        server: HTTPServerBuilder = .http1()
    ) {
        self.controllers = controllers
        self.authentication = authentication
        self.services = services
        self.server = server
    }
}

/// The version every binary of this build reports.
package enum StrypeVersion {
    package static let current = "0.1.0"
}
