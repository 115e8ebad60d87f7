import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StrypeCore

/// The concrete application type every service runs.
package typealias StrypeApplication = Application<RouterResponder<StrypeRequestContext>>

/// Builds a service's HTTP application: shared middleware, the operational routes, then the service's own routes.
package func buildApplication(
    _ definition: ServiceDefinition,
    dependencies: ServiceDependencies,
    readiness: [ReadinessCheck]? = nil,
    extraRoutes: (Router<StrypeRequestContext>) -> Void = { _ in },
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> StrypeApplication {
    let (router, parts) = buildRouterAndServices(
        definition,
        dependencies: dependencies,
        readiness: readiness,
        extraRoutes: extraRoutes
    )
    return Application(
        router: router,
        server: parts.server,
        configuration: .init(
            address: .hostname(dependencies.config.host, port: dependencies.config.port),
            serverName: "cloudstrype-\(definition.name.rawValue)"
        ),
        services: parts.services,
        onServerRunning: onServerRunning,
        logger: dependencies.logger
    )
}

/// The router and the background services (the service's own, and following session revocations), which the
/// application runs beside its server and stops after it.
package func buildRouterAndServices(
    _ definition: ServiceDefinition,
    dependencies: ServiceDependencies,
    readiness: [ReadinessCheck]? = nil,
    extraRoutes: (Router<StrypeRequestContext>) -> Void = { _ in }
) -> (Router<StrypeRequestContext>, ServiceParts) {
    let router = Router(context: StrypeRequestContext.self)
    router.middlewares.add(RequestIDMiddleware())
    router.middlewares.add(HTTPMetricsMiddleware(registry: dependencies.metrics))
    router.middlewares.add(ErrorMiddleware())
    OperationalController(
        service: definition.name,
        version: definition.version,
        checks: readiness ?? [.postgres(dependencies.postgres), .redis(dependencies.redis)],
        metrics: dependencies.metrics
    ).addRoutes(to: router)
    if dependencies.config.peers[.auth] != nil {
        WhoAmIController(authentication: dependencies.authentication(dependencies.makeVerifier())).addRoutes(to: router)
    }
    var parts = definition.assemble(router, dependencies)
    extraRoutes(router)
    parts.services.insert(RevocationFollower(dependencies: dependencies), at: 0)
    return (router, parts)
}
