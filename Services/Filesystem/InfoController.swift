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
        info.post("/{id}", use: update)
        info.post("/{id}/move", use: move)
        info.delete("/{id}", use: delete)
        info.get("/{id}/versions", use: versions)
        info.post("/{id}/versions/{version}/restore", use: restoreVersion)
        router.group("/dirs").add(middleware: authentication).post(use: makeDirectory)
        let trash = router.group("/trash").add(middleware: authentication)
        trash.get(use: trashed)
        trash.post("/{id}/restore", use: restore)
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

    /// `POST /info/{id} {name?, attrs?, tags?}` → the node renamed in place and its metadata replaced.
    @Sendable func update(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let (owner, node) = try await live(context)
        let body = try await request.decode(as: UpdateNodeRequest.self, context: context)
        var name: String?
        if let raw = body.name {
            do { name = try FilePath.name(raw) } catch { throw APIError.invalidField("name", error.description) }
        }
        if let tags = body.tags, tags.count > 100 || tags.contains(where: { $0.isEmpty || $0.utf8.count > 100 }) {
            throw APIError.invalidField("tags", "at most 100 tags of 1 to 100 bytes")
        }
        if let attrs = body.attrs, attrs.count > 100 || attrs.contains(where: { $0.key.utf8.count > 100 }) {
            throw APIError.invalidField("attrs", "at most 100 attributes with keys of at most 100 bytes")
        }
        try await nodes.update(owner: owner, id: node.id, name: name, attrs: body.attrs, tags: body.tags)
        return try await current(owner, node.id)
    }

    /// `POST /info/{id}/move {to}` → the node at its new path (moved, renamed or both); 409 when the name is taken or
    /// a folder would move into itself.
    @Sendable func move(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let (owner, node) = try await live(context)
        let body = try await request.decode(as: MoveRequest.self, context: context)
        let path = try DataController.path(body.to)
        guard !path.isRoot, node.parentID != nil else { throw APIError.invalidField("to", "the root does not move") }
        try await nodes.move(owner: owner, id: node.id, to: path)
        return try await current(owner, node.id)
    }

    /// `DELETE /info/{id}` → 204, to the trash; `?purge=true` deletes it (and its chunks) for good, from the trash too.
    @Sendable func delete(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let owner = try DataController.owner(context)
        let id = try context.uuidParameter("id", resource: "file")
        guard let node = try await nodes.findAny(owner: owner, id: id), node.parentID != nil else {
            throw APIError.notFound("no such file")
        }
        if request.uri.queryParameters.get("purge") == "true" {
            try await nodes.purge(owner: owner, id: id)
        } else {
            guard node.trashedAt == nil else { throw APIError.notFound("no such file") }
            try await nodes.trash(owner: owner, id: id)
        }
        return .noContent
    }

    /// `GET /info/{id}/versions` → the file's versions, latest first.
    @Sendable func versions(_ request: Request, context: StrypeRequestContext) async throws -> Items<VersionResponse> {
        let (_, node) = try await live(context)
        guard node.kind == .file else { throw APIError.notFound("no such file") }
        return Items(
            try await nodes.versions(fileID: node.id).map {
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
    @Sendable func restoreVersion(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let (owner, node) = try await live(context)
        guard let version = context.parameters.get("version", as: Int.self) else {
            throw APIError.invalidField("version", "a version number")
        }
        try await nodes.restoreVersion(owner: owner, fileID: node.id, version: version)
        return try await current(owner, node.id)
    }

    /// `GET /trash` → what the user trashed, latest first, each with the path it had.
    @Sendable func trashed(_ request: Request, context: StrypeRequestContext) async throws -> Items<NodeResponse> {
        let owner = try DataController.owner(context)
        var items: [NodeResponse] = []
        for node in try await nodes.trashed(owner: owner) {
            items.append(node.response(path: try await nodes.path(of: node.id)))
        }
        return Items(items)
    }

    /// `POST /trash/{id}/restore` → the node back where it was; 409 when the name is taken there now.
    @Sendable func restore(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let owner = try DataController.owner(context)
        let id = try context.uuidParameter("id", resource: "file")
        try await nodes.restore(owner: owner, id: id)
        return try await current(owner, id)
    }

    /// The caller and their live node named in the route.
    private func live(_ context: StrypeRequestContext) async throws -> (UUID, NodeRecord) {
        let owner = try DataController.owner(context)
        let id = try context.uuidParameter("id", resource: "file")
        guard let node = try await nodes.find(owner: owner, id: id) else { throw APIError.notFound("no such file") }
        return (owner, node)
    }

    private func current(_ owner: UUID, _ id: UUID) async throws -> NodeResponse {
        guard let node = try await nodes.find(owner: owner, id: id) else { throw APIError.notFound("no such file") }
        return node.response(path: try await nodes.path(of: id))
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
