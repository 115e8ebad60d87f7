import Hummingbird

/// Which of a service's two ports a request arrived on: the public one the gateway proxies, or the internal one
/// only peers reach (service tokens, metrics, relays).
package enum Listener: Sendable {
    case publicPort
    case internalPort
}

/// Passes every request to the router, marked with the listener it arrived on.
package struct ListenerResponder: HTTPResponder {
    package typealias Context = StrypeRequestContext

    package let router: RouterResponder<StrypeRequestContext>
    package let listener: Listener

    package init(router: RouterResponder<StrypeRequestContext>, listener: Listener) {
        self.router = router
        self.listener = listener
    }

    package func respond(to request: Request, context: StrypeRequestContext) async throws -> Response {
        var context = context
        context.listener = listener
        return try await router.respond(to: request, context: context)
    }
}

/// Serves its routes on the internal listener only; on the public port they do not exist (the same 404 as an unknown
/// route), whatever spelling of the path led there.
package struct InternalOnlyMiddleware: RouterMiddleware {
    package typealias Context = StrypeRequestContext

    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard context.listener == .internalPort else {
            throw APIError.notFound("no route for \(request.method) \(request.uri.path)")
        }
        return try await next(request, context)
    }
}
