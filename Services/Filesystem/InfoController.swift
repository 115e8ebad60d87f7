import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// The tree: listing to a depth, one node by id, and creating directories.
struct InfoController: Sendable {
    let nodes: any NodeRepository
    let authentication: AuthenticationMiddleware

    /// The deepest listing one request may ask for.
    static let maximumDepth = 8

    func addRoutes(to router: Router<StrypeRequestContext>) {
        let info = router.group("/info").add(middleware: authentication)
        info.get(use: tree)
        info.get("/{id}", use: node)
        router.group("/dirs").add(middleware: authentication).post(use: makeDirectory)
    }

    /// `GET /info?path=/&depth=1` → the node at `path` with its entries down to `depth` (0–8).
    @Sendable func tree(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let owner = try DataController.owner(context)
        let path = try DataController.path(request.uri.queryParameters.get("path") ?? "/")
        let depthText = request.uri.queryParameters.get("depth") ?? "1"
        guard let depth = Int(depthText), (0...Self.maximumDepth).contains(depth) else {
            throw APIError.invalidField("depth", "a depth is 0 to \(Self.maximumDepth)")
        }
        guard let node = try await nodes.resolve(owner: owner, path: path) else {
            throw APIError.notFound("nothing at \(path)")
        }
        return try await expand(node, at: path, depth: depth)
    }

    /// `GET /info/{id}` → the file or directory with its path (no entries).
    @Sendable func node(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let owner = try DataController.owner(context)
        let id = try context.uuidParameter("id", resource: "file")
        guard let node = try await nodes.find(owner: owner, id: id) else { throw APIError.notFound("no such file") }
        return node.response(path: try await nodes.path(of: node.id))
    }

    /// `POST /dirs {path}` → 201 with the directory (and any missing parents) created, 200 when it existed; 409
    /// when a file is in the way.
    @Sendable func makeDirectory(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        NodeResponse
    > {
        let owner = try DataController.owner(context)
        let body = try await request.decode(as: MakeDirectoryRequest.self, context: context)
        let path = try DataController.path(body.path)
        if let existing = try await nodes.resolve(owner: owner, path: path) {
            guard existing.kind == .dir else {
                throw APIError(.conflict, code: "not_a_directory", message: "\(path) is a file")
            }
            return EditedResponse(status: .ok, response: existing.response(path: path))
        }
        let created = try await nodes.makeDirectories(owner: owner, path: path)
        return EditedResponse(status: .created, response: created.response(path: path))
    }

    private func expand(_ node: NodeRecord, at path: FilePath, depth: Int) async throws -> NodeResponse {
        guard node.kind == .dir, depth > 0 else { return node.response(path: path) }
        var children: [NodeResponse] = []
        for child in try await nodes.children(of: node.id) {
            children.append(try await expand(child, at: try path.appending(child.name), depth: depth - 1))
        }
        return node.response(path: path, children: children)
    }
}
