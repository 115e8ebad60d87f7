import HTTPTypes
import Hummingbird

/// Requires a valid bearer access token with one of `allowedScopes`, and puts its principal in the context.
package struct AuthenticationMiddleware: RouterMiddleware {
    package typealias Context = StrypeRequestContext

    package let verifier: AccessTokenVerifier
    private let allowedScopes: Set<String>

    package init(verifier: AccessTokenVerifier, allowedScopes: Set<String> = [Scope.user, Scope.service]) {
        self.verifier = verifier
        self.allowedScopes = allowedScopes
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let token = request.bearerToken else {
            throw APIError.unauthorized("this route needs an Authorization: Bearer token")
        }
        let principal = try await verifier.verify(token)
        // Peers call each other on the internal port: a service token that reaches the public port (through the
        // gateway or not) is refused, so holding one is worth nothing from outside.
        guard !principal.isService || context.listener == .internalPort else {
            throw APIError.unauthorized("service tokens are accepted on the internal port only", code: "invalid_token")
        }
        guard !principal.scopes.isDisjoint(with: allowedScopes) else {
            throw APIError.forbidden("this token's scope does not allow this route")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "principal"] = .string(principal.subject)
        return try await next(request, context)
    }
}

/// Lets through only principals holding `role` (after `AuthenticationMiddleware`).
package struct RoleMiddleware: RouterMiddleware {
    package typealias Context = StrypeRequestContext

    private let role: String

    package init(_ role: String) {
        self.role = role
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard try context.requirePrincipal().roles.contains(role) else {
            throw APIError.forbidden("this route is for the \(role) role")
        }
        return try await next(request, context)
    }
}

extension Request {
    /// The token of an `Authorization: Bearer` header, if there is one.
    package var bearerToken: String? {
        guard let value = headers[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}

extension StrypeRequestContext {
    /// The authenticated caller; 401 on a route that forgot `AuthenticationMiddleware`.
    package func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthorized("authentication required") }
        return principal
    }
}
