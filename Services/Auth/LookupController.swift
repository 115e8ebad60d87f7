import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/lookup`: services and admins find a user by id or email, or a group by name.
struct LookupController: RouteController {
    let core: AuthCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/lookup").get("/user", use: user).get("/group", use: group)
    }

    /// `GET /lookup/user?email=` (or `?id=`) → the active user with that email (or id) as a grantee; 404 for one
    /// disabled or deleted. For services (filesystem's grants, and whether a link's owner is still active) and admins
    /// only, so users cannot probe which emails are registered.
    @Sendable func user(_ request: Request, context: StrypeRequestContext) async throws -> Grantee {
        try Self.requireServiceOrAdmin(context)
        let query = request.uri.queryParameters
        let found: UserRecord?
        if let text = query.get("id") {
            guard let id = UUID(uuidString: text) else { throw APIError.invalidField("id", "must be a user id") }
            found = try await core.users.find(id: id)
        } else {
            found = try await core.users.find(email: try InputRules.email(query.get("email") ?? ""))
        }
        guard let user = found, !user.disabled else { throw APIError.notFound("no such user") }
        return Grantee(kind: "user", id: user.id, name: user.email)
    }

    /// `GET /lookup/group?name=` → the group with that name as a grantee; for services and admins only.
    @Sendable func group(_ request: Request, context: StrypeRequestContext) async throws -> Grantee {
        try Self.requireServiceOrAdmin(context)
        // A name no group could have (empty, too long, control characters) is simply not found.
        guard let raw = request.uri.queryParameters.get("name"), let name = try? FieldRules.name(raw),
            let group = try await core.groups.find(name: name)
        else { throw APIError.notFound("no such group") }
        return Grantee(kind: "group", id: group.id, name: group.name)
    }

    private static func requireServiceOrAdmin(_ context: StrypeRequestContext) throws {
        let principal = try context.requirePrincipal()
        guard principal.isService || principal.isAdmin else {
            throw APIError.forbidden("only a service or an admin may look up users and groups")
        }
    }
}
