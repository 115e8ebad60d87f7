import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/trash`: what the user trashed, and putting a node back.
struct TrashController: RouteController {
    let core: FilesystemCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/trash").get(use: list).post("/{id}/restore", use: restore)
    }

    /// `GET /trash` → what the user trashed, latest first, each with the path it had.
    @Sendable func list(_ request: Request, context: StrypeRequestContext) async throws -> Items<NodeResponse> {
        let owner = try FileInput.caller(context)
        var items: [NodeResponse] = []
        for node in try await core.nodes.trashed(owner: owner) {
            items.append(node.response(path: try await core.nodes.path(of: node.id)))
        }
        return Items(items)
    }

    /// `POST /trash/{id}/restore` → the node back where it was; 409 when the name is taken there now.
    @Sendable func restore(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let owner = try FileInput.caller(context)
        let id = try context.uuidParameter("id", resource: "file")
        try await core.nodes.restore(owner: owner, id: id)
        guard let node = try await core.nodes.find(owner: owner, id: id) else {
            throw APIError.notFound("no such file")
        }
        return node.response(path: try await core.nodes.path(of: id))
    }
}
