import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// Admin-only management of users and groups; services may read a user's groups.
struct AdminController: Sendable {
    let core: AuthCore
    let authentication: AuthenticationMiddleware

    func addRoutes(to router: Router<StrypeRequestContext>) {
        let users = router.group("/users").add(middleware: authentication)
        users.get("/{id}/groups", use: groupsOfUser)
        let lookup = router.group("/lookup").add(middleware: authentication)
        lookup.get("/user", use: lookUpUser)
        lookup.get("/group", use: lookUpGroup)
        let admin = users.add(middleware: RoleMiddleware(Role.admin))
        admin.get(use: listUsers)
        admin.post(use: createUser)
        admin.get("/{id}", use: getUser)
        admin.patch("/{id}", use: updateUser)
        admin.delete("/{id}", use: deleteUser)

        let groups = router.group("/groups").add(middleware: authentication).add(middleware: RoleMiddleware(Role.admin))
        groups.get(use: listGroups)
        groups.post(use: createGroup)
        groups.get("/{id}", use: getGroup)
        groups.delete("/{id}", use: deleteGroup)
        groups.put("/{id}/members/{user}", use: addMember)
        groups.delete("/{id}/members/{user}", use: removeMember)
    }

    /// `GET /users?limit=&offset=` → a page of users.
    @Sendable func listUsers(_ request: Request, context: StrypeRequestContext) async throws -> Page<UserResponse> {
        let limit = min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 50, 1), 500)
        let offset = max(request.uri.queryParameters.get("offset", as: Int.self) ?? 0, 0)
        let (users, total) = try await core.users.list(limit: limit, offset: offset)
        var items: [UserResponse] = []
        for user in users { items.append(try await core.response(for: user)) }
        return Page(items: items, total: total, limit: limit, offset: offset)
    }

    /// `POST /users {email,password,name,roles?}` → 201 user.
    @Sendable func createUser(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
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
    @Sendable func getUser(_ request: Request, context: StrypeRequestContext) async throws -> UserResponse {
        try await core.response(for: try await user(context), withGroups: true)
    }

    /// `PATCH /users/{id} {name?, roles?, disabled?}`; disabling ends the user's sessions and agent tokens.
    @Sendable func updateUser(_ request: Request, context: StrypeRequestContext) async throws -> UserResponse {
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
    @Sendable func deleteUser(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
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
    @Sendable func groupsOfUser(_ request: Request, context: StrypeRequestContext) async throws -> Items<GroupSummary> {
        let principal = try context.requirePrincipal()
        let id = try context.uuidParameter("id", resource: "user")
        guard principal.userID == id || principal.isAdmin || principal.isService else {
            throw APIError.forbidden("only the user, an admin or a service may list a user's groups")
        }
        return Items(try await core.groups.groups(ofUser: id))
    }

    /// `GET /lookup/user?email=` (or `?id=`) → the active user with that email (or id) as a grantee; 404 for one
    /// disabled or deleted. For services (filesystem's grants, and whether a link's owner is still active) and admins
    /// only, so users cannot probe which emails are registered.
    @Sendable func lookUpUser(_ request: Request, context: StrypeRequestContext) async throws -> Grantee {
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
    @Sendable func lookUpGroup(_ request: Request, context: StrypeRequestContext) async throws -> Grantee {
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

    /// `GET /groups`.
    @Sendable func listGroups(_ request: Request, context: StrypeRequestContext) async throws -> Items<GroupResponse> {
        Items(try await core.groups.list())
    }

    /// `POST /groups {name}` → 201 group.
    @Sendable func createGroup(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        GroupResponse
    > {
        let body = try await request.decode(as: NameRequest.self, context: context)
        let group = try await core.groups.create(name: try InputRules.name(body.name))
        return EditedResponse(status: .created, response: group)
    }

    /// `GET /groups/{id}` with its members.
    @Sendable func getGroup(_ request: Request, context: StrypeRequestContext) async throws -> GroupResponse {
        guard let group = try await core.groups.find(id: try context.uuidParameter("id", resource: "group")) else {
            throw APIError.notFound("no such group")
        }
        return group
    }

    /// `DELETE /groups/{id}` → 204.
    @Sendable func deleteGroup(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        guard try await core.groups.delete(id: try context.uuidParameter("id", resource: "group")) else {
            throw APIError.notFound("no such group")
        }
        return .noContent
    }

    /// `PUT /groups/{id}/members/{user}` → the group.
    @Sendable func addMember(_ request: Request, context: StrypeRequestContext) async throws -> GroupResponse {
        let group = try context.uuidParameter("id", resource: "group")
        let user = try context.uuidParameter("user", resource: "user")
        guard try await core.groups.addMember(groupID: group, userID: user),
            let updated = try await core.groups.find(id: group)
        else { throw APIError.notFound("no such group or user") }
        return updated
    }

    /// `DELETE /groups/{id}/members/{user}` → the group.
    @Sendable func removeMember(_ request: Request, context: StrypeRequestContext) async throws -> GroupResponse {
        let group = try context.uuidParameter("id", resource: "group")
        let user = try context.uuidParameter("user", resource: "user")
        guard try await core.groups.removeMember(groupID: group, userID: user),
            let updated = try await core.groups.find(id: group)
        else { throw APIError.notFound("no such group member") }
        return updated
    }

    private func user(_ context: StrypeRequestContext) async throws -> UserRecord {
        guard let user = try await core.users.find(id: try context.uuidParameter("id", resource: "user")) else {
            throw APIError.notFound("no such user")
        }
        return user
    }
}
