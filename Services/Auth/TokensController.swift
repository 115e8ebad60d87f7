import Foundation
import Hummingbird
import NIOCore
import StrypeCore
import StrypeService

/// `/validate` and the internal `/service-token`: tokens checked for callers that cannot verify them, and issued to services.
struct TokensController: RouteController {
    let core: AuthCore
    /// Checks the access tokens these routes are handed in a body or as a bare Bearer (not behind the middleware).
    let verifier: AccessTokenVerifier

    func addRoutes(to routes: ServiceRoutes) {
        routes.router.post("/validate", use: validate)
        routes.router.group().add(middleware: InternalOnlyMiddleware()).post("/service-token", use: serviceToken)
    }

    /// `POST /validate {token}` → the claims of a valid access or agent token; 401 otherwise.
    @Sendable func validate(_ request: Request, context: StrypeRequestContext) async throws -> ValidatedToken {
        let body = try await request.decode(as: ValidateRequest.self, context: context)
        if body.token.hasPrefix(OpaqueToken.agentPrefix) {
            guard body.token.utf8.count <= 256,
                let (agent, user) = try await core.agents.use(tokenDigest: OpaqueToken.digest(body.token))
            else { throw APIError.unauthorized("the agent token is not valid or was revoked", code: "invalid_token") }
            return ValidatedToken(
                sub: user.id.uuidString.lowercased(),
                email: user.email,
                roles: [Role.agent],
                scope: Scope.arrayMember,
                exp: nil,
                agentID: agent.id,
                agentName: agent.name
            )
        }
        return ValidatedToken(principal: try await verifier.verify(body.token))
    }

    /// `POST /service-token {service, secret}` → a 15-minute service token for holders of `SERVICE_SECRET`; wrong
    /// secrets are limited per client address (429 with `Retry-After`).
    @Sendable func serviceToken(_ request: Request, context: StrypeRequestContext) async throws -> TokenPair {
        // The connection's own peer: this route is served on the internal listener, where no gateway vouches for
        // `X-Real-IP`, so a header there could pick a fresh counter for every guess. (Router tests have no peer.)
        let address = context.remoteAddress ?? request.clientAddress(context)
        try await core.serviceTokenLimiter.check(address: address)
        let body = try await request.decode(as: ServiceTokenRequest.self, context: context)
        guard let service = ServiceName(rawValue: body.service) else {
            throw APIError.invalidField(
                "service",
                "must be one of \(ServiceName.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard OpaqueToken.constantTimeEquals(body.secret, core.serviceSecret.value) else {
            try await core.serviceTokenLimiter.recordFailure(address: address)
            context.logger.warning("service token refused: wrong secret", metadata: ["service": "\(service.rawValue)"])
            throw APIError.unauthorized("the service secret is wrong", code: "invalid_credentials")
        }
        let claims = AccessClaims(
            subject: "service:\(service.rawValue)",
            email: nil,
            roles: [Role.service],
            scope: Scope.service,
            sessionID: nil
        )
        return TokenPair(
            accessToken: try await core.keys.sign(claims),
            refreshToken: nil,
            expiresIn: Int(AccessClaims.lifetime)
        )
    }
}
