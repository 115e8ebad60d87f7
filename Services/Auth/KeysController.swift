import Foundation
import Hummingbird
import NIOCore
import StrypeCore
import StrypeService

/// `/keys` and `/.well-known/jwks.json`: the keys that sign and verify access tokens, and their rotation.
struct KeysController: RouteController {
    let core: AuthCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.router.get("/.well-known/jwks.json", use: jwks)
        routes.authenticated("/keys").add(middleware: RoleMiddleware(Role.admin))
            .get(use: list)
            .post("/rotate", use: rotate)
    }

    /// `GET /.well-known/jwks.json` → the keys that verify access tokens.
    @Sendable func jwks(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "public, max-age=60"],
            body: .init(byteBuffer: ByteBuffer(string: try await core.keys.jwks()))
        )
    }

    /// `GET /keys` (admin) → the kid that signs and those that still verify.
    @Sendable func list(_ request: Request, context: StrypeRequestContext) async throws -> KeyListResponse {
        let kids = try await core.keys.kids()
        return KeyListResponse(active: kids.active, verifying: kids.all)
    }

    /// `POST /keys/rotate` (admin) → a new signing key; tokens of the old one verify until they expire.
    @Sendable func rotate(_ request: Request, context: StrypeRequestContext) async throws -> KeyListResponse {
        let kid = try await core.keys.rotate()
        try await core.redis.publish(SigningKeyRing.rotationChannel, kid)
        let kids = try await core.keys.kids()
        return KeyListResponse(active: kids.active, verifying: kids.all)
    }
}

/// `{active, verifying}` key ids.
struct KeyListResponse: ResponseEncodable {
    var active: String
    var verifying: [String]
}
