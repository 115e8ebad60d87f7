import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StrypeCore

/// The concrete application type every service runs (twice: on its public and on its internal port).
package typealias StrypeApplication = Application<ListenerResponder>

/// Builds a service's HTTP application for one listener: shared middleware, the operational routes, then the
/// service's own routes. The process itself runs both listeners over one router (`buildApplications`).
package func buildApplication(
    _ definition: ServiceDefinition,
    dependencies: ServiceDependencies,
    listener: Listener,
    readiness: [ReadinessCheck]? = nil,
    extraRoutes: (Router<StrypeRequestContext>) -> Void = { _ in },
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> StrypeApplication {
    let (router, parts) = buildRouterAndServices(
        definition,
        assembly: definition.preparedForTests(dependencies.config),
        dependencies: dependencies,
        readiness: readiness,
        extraRoutes: extraRoutes
    )
    return makeApplication(
        definition,
        responder: ListenerResponder(router: router.buildResponder(), listener: listener),
        port: listener == .internalPort ? dependencies.config.internalPort : dependencies.config.port,
        parts: parts,
        dependencies: dependencies,
        onServerRunning: onServerRunning
    )
}

/// The two applications of a service process over one router: the public one (proxied by the gateway) runs the
/// background work; the internal one, on `INTERNAL_PORT`, is plain HTTP/1 for peers.
package func buildApplications(
    _ definition: ServiceDefinition,
    assembly: ServiceDefinition.Assembly,
    dependencies: ServiceDependencies
) -> (publicApp: StrypeApplication, internalApp: StrypeApplication) {
    let (router, parts) = buildRouterAndServices(definition, assembly: assembly, dependencies: dependencies)
    let responder = router.buildResponder()
    let publicApp = makeApplication(
        definition,
        responder: ListenerResponder(router: responder, listener: .publicPort),
        port: dependencies.config.port,
        parts: parts,
        dependencies: dependencies
    )
    let internalApp = makeApplication(
        definition,
        responder: ListenerResponder(router: responder, listener: .internalPort),
        port: dependencies.config.internalPort,
        parts: ServiceParts(),
        dependencies: dependencies
    )
    return (publicApp, internalApp)
}

private func makeApplication(
    _ definition: ServiceDefinition,
    responder: ListenerResponder,
    port: Int,
    parts: ServiceParts,
    dependencies: ServiceDependencies,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> StrypeApplication {
    Application(
        responder: responder,
        server: parts.server,
        configuration: .init(
            address: .hostname(dependencies.config.host, port: port),
            serverName: "cloudstrype-\(definition.name.rawValue)"
        ),
        services: parts.services,
        onServerRunning: onServerRunning,
        logger: dependencies.logger
    )
}

/// The router and the background services (the service's own, and following session revocations), which the
/// application runs beside its server and stops after it; `parts.routes` says which controller serves which route.
package func buildRouterAndServices(
    _ definition: ServiceDefinition,
    assembly: ServiceDefinition.Assembly,
    dependencies: ServiceDependencies,
    readiness: [ReadinessCheck]? = nil,
    extraRoutes: (Router<StrypeRequestContext>) -> Void = { _ in }
) -> (Router<StrypeRequestContext>, ServiceParts) {
    let router = Router(context: StrypeRequestContext.self)
    router.middlewares.add(RequestIDMiddleware())
    router.middlewares.add(HTTPMetricsMiddleware(registry: dependencies.metrics))
    router.middlewares.add(ErrorMiddleware())
    var parts = assembly(dependencies)
    var shared: [any RouteController] = [
        OperationalController(
            service: definition.name,
            version: definition.version,
            checks: readiness ?? [.postgres(dependencies.postgres), .redis(dependencies.redis)],
            metrics: dependencies.metrics
        )
    ]
    if dependencies.config.peers[.auth] != nil {
        shared.append(WhoAmIController(authentication: dependencies.authentication(dependencies.makeVerifier())))
    }
    let routes = ServiceRoutes(router: router, authentication: parts.authentication)
    for controller in shared + parts.controllers { parts.routes.mount(controller, on: routes) }
    extraRoutes(router)
    parts.services.insert(RevocationFollower(dependencies: dependencies), at: 0)
    return (router, parts)
}

extension ServiceDefinition {
    /// The assembly from settings that the caller (a test) knows to be valid; `ServiceMain` prepares its own at start,
    /// where a bad value is exit 78.
    package func preparedForTests(_ config: ServiceConfig) -> Assembly {
        do {
            return try prepare(config)
        } catch {
            preconditionFailure("\(name.rawValue): the settings of a test are invalid: \(error)")
        }
    }
}
