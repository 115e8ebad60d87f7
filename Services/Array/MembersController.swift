import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/members`: the members a user may use, listed, renamed, shared by admins, removed; and an agent's own.
struct MembersController: RouteController {
    let core: ArrayCore
    let agents: AgentTokenValidator

    func addRoutes(to routes: ServiceRoutes) {
        routes.router.get("/members/me", use: me)
        routes.authenticated("/members")
            .get(use: list)
            .get("/{id}", use: show)
            .patch("/{id}", use: update)
            .delete("/{id}", use: remove)
    }

    /// `GET /members` → the caller's members and the shared ones; a service sees all, or with `?user=` what that
    /// user may use (chunk's placement).
    @Sendable func list(_ request: Request, context: StrypeRequestContext) async throws -> Items<MemberResponse> {
        let principal = try context.requirePrincipal()
        let records: [MemberRecord]
        if principal.isService, let user = try request.onBehalfOf() {
            records = try await core.members.visible(to: user)
        } else if principal.isService {
            records = try await core.members.all()
        } else {
            guard let user = principal.userID else { throw APIError.forbidden("no user in this token") }
            records = try await core.members.visible(to: user)
        }
        let online = try await core.online(records.map(\.id))
        return Items(records.map { $0.response(online: online.contains($0.id)) })
    }

    /// `GET /members/{id}` → one member the caller may use.
    @Sendable func show(_ request: Request, context: StrypeRequestContext) async throws -> MemberResponse {
        let member = try await core.usableMember(
            try context.uuidParameter("id", resource: "member"),
            by: try context.requirePrincipal()
        )
        return member.response(online: try await core.online([member.id]).contains(member.id))
    }

    /// `GET /members/me` with an agent token → the member as the server sees it (`cloudstrype-agent status`).
    @Sendable func me(_ request: Request, context: StrypeRequestContext) async throws -> MemberResponse {
        guard let identity = try await agents.validate(authorization: request.headers[.authorization]) else {
            throw APIError.unauthorized("send a valid agent token", code: "invalid_token")
        }
        guard let member = try await core.members.find(id: identity.memberID), member.ownerID == identity.ownerID else {
            throw APIError.notFound("this member has not connected yet")
        }
        guard !member.removed else { throw APIError(.gone, code: "member_removed", message: "this member was removed") }
        return member.response(online: try await core.online([member.id]).contains(member.id))
    }

    /// `PATCH /members/{id} {name?, shared?}`: the owner renames; only admins share a member with every user.
    @Sendable func update(_ request: Request, context: StrypeRequestContext) async throws -> MemberResponse {
        let principal = try context.requirePrincipal()
        let id = try context.uuidParameter("id", resource: "member")
        let body = try await request.decode(as: UpdateMemberRequest.self, context: context)
        guard let member = try await core.members.find(id: id), !member.removed,
            member.ownerID == principal.userID || principal.isAdmin
        else { throw APIError.notFound("no such member") }
        if body.shared != nil, !principal.isAdmin { throw APIError.forbidden("only admins share members") }
        let name = try body.name.map { try FieldRules.name($0, field: "name") }
        guard let updated = try await core.members.update(id: id, name: name, shared: body.shared) else {
            throw APIError.notFound("no such member")
        }
        context.logger.info("member updated", metadata: ["member_id": "\(id)", "shared": "\(updated.shared)"])
        return updated.response(online: try await core.online([id]).contains(id))
    }

    /// `DELETE /members/{id}` → 204: the member is disconnected and can no longer connect with its token; what users
    /// were charged for on it goes back to their quotas.
    @Sendable func remove(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let principal = try context.requirePrincipal()
        let id = try context.uuidParameter("id", resource: "member")
        guard let member = try await core.members.find(id: id), !member.removed,
            member.ownerID == principal.userID || principal.isAdmin
        else { throw APIError.notFound("no such member") }
        guard try await core.removeMember(id) else { throw APIError.notFound("no such member") }
        _ = try await core.presence.redis.publish(ArrayCore.closeChannel, id.uuidString.lowercased())
        context.logger.info("member removed", metadata: ["member_id": "\(id)"])
        return .noContent
    }
}
