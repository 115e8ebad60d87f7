import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// Admin-made invitations to register while `REGISTRATION=invite`: created (the token shown once), listed, deleted.
struct InvitationsController: RouteController {
    let core: AuthCore

    /// Invitations live a week unless asked otherwise, and at most 30 days.
    static let defaultHours = 168
    static let maximumHours = 720
    /// The prefix of invitation tokens, so they are told apart from refresh and agent tokens.
    static let tokenPrefix = "csi_"

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/invitations").add(middleware: RoleMiddleware(Role.admin))
            .post(use: create)
            .get(use: list)
            .delete("/{id}", use: delete)
    }

    /// `POST /invitations {email?, expires_in_hours?}` → 201 with the token, shown this once.
    @Sendable func create(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        InvitationResponse
    > {
        let body = try await request.decode(as: CreateInvitationRequest.self, context: context)
        let email = try body.email.map { try InputRules.email($0) }
        let hours = body.expiresInHours ?? Self.defaultHours
        guard (1...Self.maximumHours).contains(hours) else {
            throw APIError.invalidField("expires_in_hours", "must be 1 to \(Self.maximumHours)")
        }
        let token = OpaqueToken.generate(prefix: Self.tokenPrefix)
        let record = try await core.invitations.create(
            tokenDigest: OpaqueToken.digest(token),
            email: email,
            expiresAt: Date().addingTimeInterval(TimeInterval(hours) * 3600),
            createdBy: try context.requirePrincipal().userID
        )
        context.logger.info("invitation created", metadata: ["invitation_id": "\(record.id)"])
        return EditedResponse(status: .created, response: Self.response(record, token: token))
    }

    /// `GET /invitations` → every invitation, without tokens.
    @Sendable func list(_ request: Request, context: StrypeRequestContext) async throws -> Items<InvitationResponse> {
        Items(try await core.invitations.list().map { Self.response($0, token: nil) })
    }

    /// `DELETE /invitations/{id}` → 204; the invitation can no longer be used.
    @Sendable func delete(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        guard try await core.invitations.delete(id: try context.uuidParameter("id", resource: "invitation")) else {
            throw APIError.notFound("no such invitation")
        }
        return .noContent
    }

    static func response(_ record: InvitationRecord, token: String?) -> InvitationResponse {
        InvitationResponse(
            id: record.id,
            token: token,
            email: record.email,
            expires: record.expiresAt,
            createdAt: record.createdAt,
            usedAt: record.usedAt
        )
    }
}

extension InvitationResponse: ResponseEncodable {}
