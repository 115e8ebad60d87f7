import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/me`: the signed-in user's own account.
struct MeController: RouteController {
    let core: AuthCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/me").get(use: get).patch(use: update)
    }

    /// `GET /me` → the signed-in user with their groups.
    @Sendable func get(_ request: Request, context: StrypeRequestContext) async throws -> UserResponse {
        try await core.response(for: try await core.currentUser(context), withGroups: true)
    }

    /// `PATCH /me {name?, password?, current_password?, sign_out_agents?}`: a password change needs the current
    /// password and ends every other session (and, with `sign_out_agents: true`, every agent token).
    @Sendable func update(_ request: Request, context: StrypeRequestContext) async throws -> UserResponse {
        let user = try await core.currentUser(context)
        let body = try await request.decode(as: UpdateMeRequest.self, context: context)
        let name = try body.name.map { try InputRules.name($0) }
        var newHash: String?
        if let password = body.password {
            let checked = try InputRules.password(password)
            guard let current = body.currentPassword else {
                throw APIError.invalidField("current_password", "is required to change the password")
            }
            guard await core.hasher.verify(current, against: user.passwordHash) else {
                throw APIError(
                    .forbidden,
                    code: "wrong_password",
                    message: "current_password is wrong",
                    field: "current_password"
                )
            }
            newHash = try await core.hasher.hash(checked)
        }
        guard name != nil || newHash != nil else {
            throw APIError.badRequest("nothing to change: send name, or password with current_password")
        }
        if newHash != nil { try await core.requireRevocationChannel() }
        guard
            let updated = try await core.users.update(
                id: user.id,
                name: name,
                roles: nil,
                disabled: nil,
                passwordHash: newHash
            )
        else {
            throw APIError.unauthorized("this account no longer exists", code: "account_unavailable")
        }
        if newHash != nil {
            let keeping = try context.requirePrincipal().sessionID.flatMap(UUID.init(uuidString:))
            try await core.endSessions(of: user.id, keeping: keeping)
            let agents = body.signOutAgents ?? false
            if agents { try await core.revokeAgents(of: user.id) }
            context.logger.info(
                "password changed; other sessions ended",
                metadata: ["user_id": "\(user.id)", "agents_revoked": "\(agents)"]
            )
        }
        return try await core.response(for: updated, withGroups: true)
    }
}
