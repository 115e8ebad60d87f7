import Hummingbird

/// The routes of one URL prefix, and nothing else: the unit a service is routed by (one controller per prefix, named
/// for it, so the file list reads as the route table).
package protocol RouteController: Sendable {
    func addRoutes(to routes: ServiceRoutes)
}

/// Where a controller adds its routes: groups behind the service's token check, and the bare router for the few
/// routes anyone may call (sign-in, share links, health).
package struct ServiceRoutes {
    package let router: Router<StrypeRequestContext>
    let checksTokens: AuthenticationMiddleware?

    package init(router: Router<StrypeRequestContext>, authentication: AuthenticationMiddleware?) {
        self.router = router
        self.checksTokens = authentication
    }

    /// The service's token check, for a group that puts another middleware before it.
    package var authentication: AuthenticationMiddleware {
        guard let checksTokens else {
            preconditionFailure("a service with authenticated routes names its authentication in ServiceParts")
        }
        return checksTokens
    }

    /// A group at `prefix` whose every route needs a verified access token.
    package func authenticated(_ prefix: String = "") -> RouterGroup<StrypeRequestContext> {
        router.group(RouterPath(prefix)).add(middleware: authentication)
    }
}

/// Which controller serves each route, recorded as the controllers are mounted; the route-table test compares it with
/// `Gateway/openapi.yaml`.
package struct RouteTable: Sendable {
    /// One route and the type that serves it.
    package struct Entry: Sendable, Hashable, CustomStringConvertible {
        package var controller: String
        package var method: String
        package var path: String

        package var description: String { "\(method) \(path) → \(controller)" }
    }

    package private(set) var entries: [Entry] = []

    package init() {}

    /// Adds `controller`'s routes to `router` and records them under its type's name (without generic arguments: the
    /// shared `ObjectsController<AccountObjects>` is the objects controller).
    package mutating func mount(_ controller: any RouteController, on routes: ServiceRoutes) {
        let router = routes.router
        let before = Set(router.routes.map(\.description))
        controller.addRoutes(to: routes)
        let name = String(String(describing: type(of: controller)).prefix { $0 != "<" })
        for route in router.routes where !before.contains(route.description) {
            entries.append(Entry(controller: name, method: route.method.rawValue, path: route.path.description))
        }
    }
}
