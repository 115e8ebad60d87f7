import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// Directory grants: the owner shares a folder with a user (by email) or a group (by name), read or read-write;
/// grantees find what is shared with them at `GET /shared` and use it by id on the usual routes.
struct GrantsController: RouteController {
    let core: FilesystemCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/info/{id}/grants").post(use: create).get(use: list).delete("/{grant}", use: revoke)
        routes.authenticated("/shared").get(use: shared)
    }

    /// `POST /info/{id}/grants {user | group, access}` → 201 with the grant, 200 when it changed an existing one's
    /// access; 404 when no such user or group.
    @Sendable func create(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        GrantResponse
    > {
        let caller = try FileInput.caller(context)
        let folder = try await owned(context)
        guard folder.kind == .dir else {
            throw APIError.badRequest("only folders are granted; share a file with a link", code: "not_a_directory")
        }
        guard folder.parentID != nil else { throw APIError.badRequest("share a folder, not your whole tree") }
        let body = try await request.decode(as: CreateGrantRequest.self, context: context)
        guard let level = Access(grant: body.access) else {
            throw APIError.invalidField("access", "read or read-write")
        }
        let grantee: Grantee
        switch (body.user, body.group) {
        case (let email?, nil):
            guard let user = try await core.directory.user(email: email) else {
                throw APIError.notFound("no such user")
            }
            guard user.id != caller else { throw APIError.invalidField("user", "the folder is yours already") }
            grantee = user
        case (nil, let raw?):
            let name = try FieldRules.name(raw, field: "group")
            guard let group = try await core.directory.group(name: name) else {
                throw APIError.notFound("no such group")
            }
            grantee = group
        default:
            throw APIError.badRequest("give a user's email or a group's name, not both")
        }
        let existed = try await core.grants.grants(nodeID: folder.id).contains {
            $0.grantee.kind == grantee.kind && $0.grantee.id == grantee.id
        }
        let grant = try await core.grants.save(nodeID: folder.id, ownerID: caller, grantee: grantee, access: level)
        context.logger.info(
            "folder granted",
            metadata: [
                "node_id": "\(folder.id)", "grantee": "\(grantee.kind):\(grantee.id)", "access": "\(body.access)",
            ]
        )
        return EditedResponse(status: existed ? .ok : .created, response: grant.response)
    }

    /// `GET /info/{id}/grants` → who the folder is shared with (owner only).
    @Sendable func list(_ request: Request, context: StrypeRequestContext) async throws -> Items<GrantResponse> {
        Items(try await core.grants.grants(nodeID: try await owned(context).id).map(\.response))
    }

    /// `DELETE /info/{id}/grants/{grant}` → 204; the grantee loses access at once.
    @Sendable func revoke(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let folder = try await owned(context)
        guard try await core.grants.delete(id: try context.uuidParameter("grant", resource: "grant"), nodeID: folder.id)
        else { throw APIError.notFound("no such grant") }
        return .noContent
    }

    /// `GET /shared` → the folders shared with the caller or their groups, each with the folder as they see it.
    @Sendable func shared(_ request: Request, context: StrypeRequestContext) async throws -> Items<GrantResponse> {
        let caller = try FileInput.caller(context)
        let groups = try await core.directory.groups(of: caller)
        var items: [GrantResponse] = []
        for grant in try await core.grants.shared(with: caller, groups: groups) {
            guard let reached = try? await core.access.reach(grant.nodeID, caller: caller, needs: .read) else {
                continue
            }
            var response = grant.response
            response.node = try await core.access.response(reached)
            items.append(response)
        }
        return Items(items)
    }

    /// The caller's own live node named in the route: 403 for a grantee, 404 for anyone else.
    private func owned(_ context: StrypeRequestContext) async throws -> NodeRecord {
        try await core.access.reach(
            try context.uuidParameter("id", resource: "file"),
            caller: try FileInput.caller(context),
            needs: .owner
        ).node
    }
}

extension GrantResponse: ResponseEncodable {}
