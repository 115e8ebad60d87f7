import Foundation
import Hummingbird
import StrypeCore

/// The request context of every service: Hummingbird's core storage, the request id and the caller.
package struct StrypeRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The `X-Request-Id` of this request, set by `RequestIDMiddleware` before any handler runs.
    package var requestID: String
    /// The verified caller, set by `AuthenticationMiddleware` on protected routes.
    package var principal: Principal?
    /// The address of the client as the gateway saw it (`X-Real-IP`), else the peer of this connection.
    package let remoteAddress: String?
    /// The port the request arrived on; `ListenerResponder` sets it, and anything else counts as public.
    package var listener: Listener

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.principal = nil
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
        self.listener = .publicPort
    }

    /// Wire JSON (snake_case keys, ISO 8601 dates, sorted keys), so answers are stable to read and compare.
    package var responseEncoder: JSONEncoder { WireJSON.encoder }
}

extension StrypeRequestContext {
    /// The UUID in path parameter `name`; 404 when it is not one (no such resource can exist).
    package func uuidParameter(_ name: String, resource: String) throws -> UUID {
        guard let text = parameters.get(name), let id = UUID(uuidString: text) else {
            throw APIError.notFound("no such \(resource)")
        }
        return id
    }
}

extension Request {
    /// The user a service asks on behalf of (`?user=<id>`), nil when not given; 400 when not a user id.
    package func onBehalfOf() throws -> UUID? {
        guard let text = uri.queryParameters.get("user") else { return nil }
        guard let user = UUID(uuidString: text) else { throw APIError.invalidField("user", "must be a user id") }
        return user
    }
}
