import Hummingbird
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
    /// Adds the service's own routes to the router.
    package let routes: @Sendable (Router<StrypeRequestContext>, ServiceDependencies) -> Void

    package init(
        name: ServiceName,
        version: String = StrypeVersion.current,
        peers: [ServiceName] = [],
        needsMasterKey: Bool = false,
        migrations: [Migration],
        routes: @escaping @Sendable (Router<StrypeRequestContext>, ServiceDependencies) -> Void = { _, _ in }
    ) {
        self.name = name
        self.version = version
        self.peers = peers
        self.needsMasterKey = needsMasterKey
        self.migrations = migrations
        self.routes = routes
    }
}

/// The version every binary of this build reports.
package enum StrypeVersion {
    package static let current = "0.1.0"
}
