import Hummingbird
import Logging
import NIOCore
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
    let router = buildRouter(definition, dependencies: dependencies, readiness: readiness, extraRoutes: extraRoutes)
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(dependencies.config.host, port: dependencies.config.port),
            serverName: "cloudstrype-\(definition.name.rawValue)"
        ),
        onServerRunning: onServerRunning,
        logger: dependencies.logger
    )
}

/// The router alone, for in-process tests.
package func buildRouter(
    _ definition: ServiceDefinition,
    dependencies: ServiceDependencies,
    readiness: [ReadinessCheck]? = nil,
    extraRoutes: (Router<StrypeRequestContext>) -> Void = { _ in }
) -> Router<StrypeRequestContext> {
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
    definition.routes(router, dependencies)
    extraRoutes(router)
    return router
}
