import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/users`: admins manage users; services and admins read a user's groups.
struct UsersController: RouteController {
    let core: AuthCore

    func addRoutes(to routes: ServiceRoutes) {
        let users = routes.authenticated("/users")
        users.get("/{id}/groups", use: groups)
        users.add(middleware: RoleMiddleware(Role.admin))
            .get(use: list)
            .post(use: create)
            .get("/{id}", use: get)
            .patch("/{id}", use: update)
            .delete("/{id}", use: delete)
    }

    /// `GET /users?limit=&offset=` → a page of users.
    @Sendable func list(_ request: Request, context: StrypeRequestContext) async throws -> Page<UserResponse> {
        let limit = min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 50, 1), 500)
        let offset = max(request.uri.queryParameters.get("offset", as: Int.self) ?? 0, 0)
        let (users, total) = try await core.users.list(limit: limit, offset: offset)
        var items: [UserResponse] = []
        for user in users { items.append(try await core.response(for: user)) }
        return Page(items: items, total: total, limit: limit, offset: offset)
    }

    /// `POST /users {email,password,name,roles?}` → 201 user.
    @Sendable func create(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        UserResponse
    > {
        let body = try await request.decode(as: CreateUserRequest.self, context: context)
        let email = try InputRules.email(body.email)
        let password = try InputRules.password(body.password)
        let name = try InputRules.name(body.name)
        let roles = try InputRules.roles(body.roles ?? [Role.user])
        let user = try await core.users.create(
            email: email,
            name: name,
            passwordHash: try await core.hasher.hash(password),
            roles: roles,
            registration: nil
        )
        context.logger.info("user created by admin", metadata: ["user_id": "\(user.id)"])
        return EditedResponse(status: .created, response: try await core.response(for: user))
    }

    /// `GET /users/{id}`.
    @Sendable func get(_ request: Request, context: StrypeRequestContext) async throws -> UserResponse {
        try await core.response(for: try await user(context), withGroups: true)
    }

    /// `PATCH /users/{id} {name?, roles?, disabled?}`; disabling ends the user's sessions and agent tokens.
    @Sendable func update(_ request: Request, context: StrypeRequestContext) async throws -> UserResponse {
        let user = try await user(context)
        let body = try await request.decode(as: UpdateUserRequest.self, context: context)
        let name = try body.name.map { try InputRules.name($0) }
        let roles = try body.roles.map { try InputRules.roles($0) }
        let staysAdmin = (roles?.contains(Role.admin) ?? user.isAdmin) && !(body.disabled ?? user.disabled)
        try await core.keepAnAdmin(changing: user, stillAdmin: staysAdmin)
        let revokes = body.disabled == true || (roles != nil && roles != user.roles)
        if revokes { try await core.requireRevocationChannel() }
        guard
            let updated = try await core.users.update(
                id: user.id,
                name: name,
                roles: roles,
                disabled: body.disabled,
                passwordHash: nil
            )
        else { throw APIError.notFound("no such user") }
        if revokes {
            // Tokens carry roles: end sessions so no token outlives the change.
            try await core.endSessions(of: user.id)
        }
        if body.disabled == true { try await core.revokeAgents(of: user.id) }
        context.logger.info("user updated by admin", metadata: ["user_id": "\(user.id)"])
        return try await core.response(for: updated, withGroups: true)
    }

    /// `DELETE /users/{id}` → 204; ends sessions and agent tokens first.
    @Sendable func delete(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let user = try await user(context)
        try await core.keepAnAdmin(changing: user, stillAdmin: false)
        try await core.requireRevocationChannel()
        try await core.endSessions(of: user.id)
        try await core.revokeAgents(of: user.id)
        guard try await core.users.delete(id: user.id) else { throw APIError.notFound("no such user") }
        context.logger.info("user deleted by admin", metadata: ["user_id": "\(user.id)"])
        return .noContent
    }

    /// `GET /users/{id}/groups`: for the user themself, an admin, or a service (directory grants).
    @Sendable func groups(_ request: Request, context: StrypeRequestContext) async throws -> Items<GroupSummary> {
        let principal = try context.requirePrincipal()
        let id = try context.uuidParameter("id", resource: "user")
        guard principal.userID == id || principal.isAdmin || principal.isService else {
            throw APIError.forbidden("only the user, an admin or a service may list a user's groups")
        }
        return Items(try await core.groups.groups(ofUser: id))
    }

    private func user(_ context: StrypeRequestContext) async throws -> UserRecord {
        guard let user = try await core.users.find(id: try context.uuidParameter("id", resource: "user")) else {
            throw APIError.notFound("no such user")
        }
        return user
    }
}
