import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// Long-lived tokens for the user's desktop agents: created, listed, revoked.
struct AgentsController: RouteController {
    let core: AuthCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/agents").post(use: create).get(use: list).delete("/{id}", use: revoke)
    }

    /// `POST /agents {name}` → 201 with the token, shown this once.
    @Sendable func create(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        AgentTokenResponse
    > {
        let user = try await core.currentUser(context)
        let body = try await request.decode(as: NameRequest.self, context: context)
        let name = try InputRules.name(body.name)
        let token = OpaqueToken.generate(prefix: OpaqueToken.agentPrefix)
        let record = try await core.agents.create(userID: user.id, name: name, tokenDigest: OpaqueToken.digest(token))
        context.logger.info("agent token created", metadata: ["agent_id": "\(record.id)"])
        return EditedResponse(status: .created, response: Self.response(record, token: token))
    }

    /// `GET /agents` → the user's active agent tokens, without the tokens.
    @Sendable func list(_ request: Request, context: StrypeRequestContext) async throws -> Items<AgentTokenResponse> {
        let user = try await core.currentUser(context)
        return Items(try await core.agents.list(userID: user.id).map { Self.response($0, token: nil) })
    }

    /// `DELETE /agents/{id}` → 204; connected agents using it are cut off within seconds (503, changing nothing,
    /// while Redis cannot carry the revocation to array).
    @Sendable func revoke(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let user = try await core.currentUser(context)
        let id = try context.uuidParameter("id", resource: "agent token")
        try await core.requireRevocationChannel()
        guard try await core.agents.revoke(id: id, userID: user.id) else {
            throw APIError.notFound("no such agent token")
        }
        await core.announceRevoked(agents: [id])
        context.logger.info("agent token revoked", metadata: ["agent_id": "\(id)"])
        return .noContent
    }

    static func response(_ record: AgentTokenRecord, token: String?) -> AgentTokenResponse {
        AgentTokenResponse(
            id: record.id,
            name: record.name,
            scope: Scope.arrayMember,
            token: token,
            createdAt: record.createdAt,
            lastUsedAt: record.lastUsedAt
        )
    }
}
