import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/info/{id}/versions`: a file's versions, and making an old one current again.
struct VersionsController: RouteController {
    let core: FilesystemCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/info/{id}/versions").get(use: list).post("/{version}/restore", use: restore)
    }

    /// `GET /info/{id}/versions` → the file's versions, latest first.
    @Sendable func list(_ request: Request, context: StrypeRequestContext) async throws -> Items<VersionResponse> {
        let node = try await core.reach(context, needs: .read).node
        guard node.kind == .file else { throw APIError.notFound("no such file") }
        return Items(
            try await core.nodes.versions(fileID: node.id).map {
                VersionResponse(
                    version: $0.number,
                    size: $0.size,
                    sha256: $0.sha256,
                    durability: $0.durability,
                    encryption: $0.encryption,
                    contentType: $0.contentType,
                    created: $0.created,
                    current: $0.number == node.version?.number
                )
            }
        )
    }

    /// `POST /info/{id}/versions/{version}/restore` → the file with that version current again (as a new version).
    @Sendable func restore(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let reached = try await core.reach(context, needs: .readWrite)
        guard let version = context.parameters.get("version", as: Int.self) else {
            throw APIError.invalidField("version", "a version number")
        }
        try await core.nodes.restoreVersion(owner: reached.node.ownerID, fileID: reached.node.id, version: version)
        return try await core.current(reached)
    }
}
