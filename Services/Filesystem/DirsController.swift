import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/dirs`: making a directory and any missing parents.
struct DirsController: RouteController {
    let core: FilesystemCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/dirs").post(use: makeDirectory)
    }

    /// `POST /dirs {path}` or `{parent_id, name}` → 201 with the directory (and any missing parents) created, 200
    /// when it existed; 409 when a file is in the way.
    @Sendable func makeDirectory(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        NodeResponse
    > {
        let caller = try FileInput.caller(context)
        let body = try await request.decode(as: MakeDirectoryRequest.self, context: context)
        let target = try await core.access.destination(
            caller: caller,
            path: try body.path.map { try FileInput.path($0) },
            parent: body.parentID,
            name: body.name
        )
        if let existing = try await core.nodes.resolve(owner: target.owner, path: target.path) {
            guard existing.kind == .dir else {
                throw APIError(.conflict, code: "not_a_directory", message: "\(existing.name) is a file")
            }
            return EditedResponse(status: .ok, response: try await core.access.response(existing, at: target))
        }
        let created = try await core.nodes.makeDirectories(owner: target.owner, path: target.path)
        return EditedResponse(status: .created, response: try await core.access.response(created, at: target))
    }
}
