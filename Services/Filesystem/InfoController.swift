import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// The tree: listing to a depth, one node by id, and creating directories.
struct InfoController: Sendable {
    let nodes: any NodeRepository
    let access: NodeAccess
    let chunks: ChunkClient
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
        info.get("/{id}/chunks", use: placement)
        info.post("/{id}/versions/{version}/restore", use: restoreVersion)
        router.group("/dirs").add(middleware: authentication).post(use: makeDirectory)
        let trash = router.group("/trash").add(middleware: authentication)
        trash.get(use: trashed)
        trash.post("/{id}/restore", use: restore)
    }

    /// `GET /info?path=/&depth=1&limit=1000&cursor=` → the node at `path` with its entries down to `depth` (0–8), at
    /// most `limit` entries in all (1–1000; a folder's own first, then its subfolders' in order); a directory with
    /// entries left out has `next`, which `GET /info/{id}?cursor=` lists on from.
    @Sendable func tree(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let owner = try DataController.owner(context)
        let path = try DataController.path(request.uri.queryParameters.get("path") ?? "/")
        let depth = try Self.depth(request, default: "1")
        let page = try ListCursor.page(request)
        guard let node = try await nodes.resolve(owner: owner, path: path) else {
            throw APIError.notFound("nothing at \(path)")
        }
        var budget = page.limit
        return try await expand(node, at: path, depth: depth, after: page.after, budget: &budget)
    }

    /// `GET /info/{id}?depth=0&limit=1000&cursor=` → the file or directory with its path, and a directory's entries
    /// down to `depth`, paged as `GET /info`; the caller's own, or shared with them.
    @Sendable func node(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let depth = try Self.depth(request, default: "0")
        let page = try ListCursor.page(request)
        let reached = try await reach(context, needs: .read)
        let view = try await access.response(reached)
        var budget = page.limit
        return try await expand(
            reached.node,
            at: try DataController.path(view.path),
            depth: depth,
            after: page.after,
            budget: &budget,
            as: reached.access
        )
    }

    /// `POST /dirs {path}` or `{parent_id, name}` → 201 with the directory (and any missing parents) created, 200
    /// when it existed; 409 when a file is in the way.
    @Sendable func makeDirectory(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        NodeResponse
    > {
        let caller = try DataController.owner(context)
        let body = try await request.decode(as: MakeDirectoryRequest.self, context: context)
        let target = try await access.destination(
            caller: caller,
            path: try body.path.map { try DataController.path($0) },
            parent: body.parentID,
            name: body.name
        )
        if let existing = try await nodes.resolve(owner: target.owner, path: target.path) {
            guard existing.kind == .dir else {
                throw APIError(.conflict, code: "not_a_directory", message: "\(existing.name) is a file")
            }
            return EditedResponse(status: .ok, response: try await access.response(existing, at: target))
        }
        let created = try await nodes.makeDirectories(owner: target.owner, path: target.path)
        return EditedResponse(status: .created, response: try await access.response(created, at: target))
    }

    /// `POST /info/{id} {name?, attrs?, tags?}` → the node renamed in place and its metadata replaced.
    @Sendable func update(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let reached = try await reach(context, needs: .readWrite)
        let body = try await request.decode(as: UpdateNodeRequest.self, context: context)
        var name: String?
        if let raw = body.name {
            guard !reached.isGrantRoot else { throw APIError.forbidden("only the owner renames a shared folder") }
            do { name = try FilePath.name(raw) } catch { throw APIError.invalidField("name", error.description) }
        }
        if let tags = body.tags,
            tags.count > 100
                || tags.contains(where: {
                    $0.isEmpty || $0.utf8.count > 100 || FieldRules.containsControlCharacters($0)
                })
        {
            throw APIError.invalidField("tags", "at most 100 tags of 1 to 100 bytes without control characters")
        }
        if let attrs = body.attrs,
            attrs.count > 100
                || attrs.contains(where: { key, value in
                    key.isEmpty || key.utf8.count > 100 || FieldRules.containsControlCharacters(key)
                        || value.utf8.count > 10_000 || value.contains("\0")
                })
        {
            throw APIError.invalidField(
                "attrs",
                "at most 100 attributes, keys of 1 to 100 bytes without control characters, values up to 10 kB without NUL"
            )
        }
        try await nodes.update(
            owner: reached.node.ownerID,
            id: reached.node.id,
            name: name,
            attrs: body.attrs,
            tags: body.tags
        )
        return try await current(reached)
    }

    /// `POST /info/{id}/move {to}` or `{parent_id, name?}` → the node at its new place (moved, renamed or both);
    /// 409 when the name is taken or a folder would move into itself. A node moves only within its owner's tree.
    @Sendable func move(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let caller = try DataController.owner(context)
        let reached = try await reach(context, needs: .readWrite)
        let node = reached.node
        guard node.parentID != nil else { throw APIError.invalidField("to", "the root does not move") }
        guard !reached.isGrantRoot else { throw APIError.forbidden("only the owner moves a shared folder") }
        let body = try await request.decode(as: MoveRequest.self, context: context)
        let target = try await access.destination(
            caller: caller,
            path: try body.to.map { try DataController.path($0) },
            parent: body.parentID,
            name: body.parentID == nil ? nil : body.name ?? node.name
        )
        guard !target.path.isRoot else { throw APIError.invalidField("to", "the root does not move") }
        guard target.owner == node.ownerID else {
            throw APIError(
                .conflict,
                code: "other_owner",
                message: "a file moves only among its owner's folders; copy it instead"
            )
        }
        try await nodes.move(owner: node.ownerID, id: node.id, to: target.path)
        return try await current(reached)
    }

    /// `DELETE /info/{id}` → 204, to the trash (the owner's, also when a grantee deletes); `?purge=true` deletes it
    /// (and its chunks) for good, from the trash too: the owner only.
    @Sendable func delete(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let owner = try DataController.owner(context)
        let id = try context.uuidParameter("id", resource: "file")
        let purge = request.uri.queryParameters.get("purge") == "true"
        guard let node = try await nodes.findAny(owner: owner, id: id) else {
            let reached = try await access.reach(id, caller: owner, needs: purge ? .owner : .readWrite)
            guard !reached.isGrantRoot else { throw APIError.forbidden("only the owner deletes a shared folder") }
            try await nodes.trash(owner: reached.node.ownerID, id: id)
            return .noContent
        }
        guard node.parentID != nil else { throw APIError.notFound("no such file") }
        if purge {
            try await nodes.purge(owner: owner, id: id)
        } else {
            guard node.trashedAt == nil else { throw APIError.notFound("no such file") }
            try await nodes.trash(owner: owner, id: id)
        }
        return .noContent
    }

    /// `GET /info/{id}/versions` → the file's versions, latest first.
    @Sendable func versions(_ request: Request, context: StrypeRequestContext) async throws -> Items<VersionResponse> {
        let node = try await reach(context, needs: .read).node
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

    /// `GET /info/{id}/chunks?limit=50&offset=0` → the current version's chunks in order, each with where its shards
    /// are and their health, as chunk tells it: what Cloudstrype did with the file. A small file's one inline chunk
    /// says so (`inline`, no shards): its bytes are in the metadata database.
    @Sendable func placement(_ request: Request, context: StrypeRequestContext) async throws -> Page<ChunkResponse> {
        let reached = try await reach(context, needs: .read)
        let node = reached.node
        guard node.kind == .file, let version = node.version else { throw APIError.notFound("no such file") }
        let query = request.uri.queryParameters
        let limit = min(max(query.get("limit", as: Int.self) ?? 50, 1), 200)
        let offset = max(query.get("offset", as: Int.self) ?? 0, 0)
        let parts = try await nodes.chunks(fileID: node.id, version: version.number)
        let page = Array(parts.dropFirst(offset).prefix(limit))
        var infos = [ChunkResponse?](repeating: nil, count: page.count)
        try await withThrowingTaskGroup(of: (Int, ChunkResponse).self) { group in
            for (index, part) in page.enumerated() {
                // A few at a time: a page is up to 200 chunks, each one request to chunk.
                if part.inline != nil {
                    infos[index] = ChunkResponse(
                        chunkID: part.chunkID,
                        size: part.size,
                        sha256: version.sha256,
                        durability: version.durability,
                        encryption: version.encryption,
                        shards: [],
                        health: "healthy",
                        inline: true
                    )
                    continue
                }
                if index >= 8, let (done, info) = try await group.next() { infos[done] = info }
                group.addTask { (index, try await chunks.info(part.chunkID, owner: node.ownerID)) }
            }
            for try await (done, info) in group { infos[done] = info }
        }
        var items = infos.compactMap { $0 }
        if reached.access != .owner {
            for chunk in items.indices {
                for shard in items[chunk].shards.indices { items[chunk].shards[shard].backendID = nil }
            }
        }
        return Page(items: items, total: parts.count, limit: limit, offset: offset)
    }

    /// `POST /info/{id}/versions/{version}/restore` → the file with that version current again (as a new version).
    @Sendable func restoreVersion(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let reached = try await reach(context, needs: .readWrite)
        guard let version = context.parameters.get("version", as: Int.self) else {
            throw APIError.invalidField("version", "a version number")
        }
        try await nodes.restoreVersion(owner: reached.node.ownerID, fileID: reached.node.id, version: version)
        return try await current(reached)
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
        guard let node = try await nodes.find(owner: owner, id: id) else { throw APIError.notFound("no such file") }
        return node.response(path: try await nodes.path(of: id))
    }

    /// The node named in the route, if the caller has `needs` on it.
    private func reach(_ context: StrypeRequestContext, needs: Access) async throws -> ReachedNode {
        try await access.reach(
            try context.uuidParameter("id", resource: "file"),
            caller: try DataController.owner(context),
            needs: needs
        )
    }

    /// The node after a change, as the caller sees it.
    private func current(_ reached: ReachedNode) async throws -> NodeResponse {
        guard let node = try await nodes.find(id: reached.node.id) else { throw APIError.notFound("no such file") }
        return try await access.response(ReachedNode(node: node, access: reached.access, grantRoot: reached.grantRoot))
    }

    /// `depth` from the query: 0 to `maximumDepth`.
    private static func depth(_ request: Request, default fallback: String) throws -> Int {
        let text = request.uri.queryParameters.get("depth") ?? fallback
        guard let depth = Int(text), (0...maximumDepth).contains(depth) else {
            throw APIError.invalidField("depth", "a depth is 0 to \(maximumDepth)")
        }
        return depth
    }

    /// The node with its entries down to `depth` (its own from `after`), taking at most `budget` entries in all, a
    /// directory's own before its subdirectories': the work of one answer is bounded however wide the tree. A
    /// directory whose entries did not all fit has `next`, where its listing goes on (its start when none fitted).
    private func expand(
        _ node: NodeRecord,
        at path: FilePath,
        depth: Int,
        after: ListCursor? = nil,
        budget: inout Int,
        as access: Access = .owner
    ) async throws -> NodeResponse {
        guard node.kind == .dir, depth > 0 else { return node.response(path: path, access: access) }
        var view = node.response(path: path, access: access)
        guard budget > 0 else {
            view.next = (after ?? .start).token
            return view
        }
        let (shown, next) = ListCursor.cut(
            try await nodes.children(of: node.id, after: after, limit: budget + 1),
            limit: budget
        )
        budget -= shown.count
        view.next = next
        var children: [NodeResponse] = []
        for child in shown {
            children.append(
                try await expand(
                    child,
                    at: try path.appending(child.name),
                    depth: depth - 1,
                    budget: &budget,
                    as: access
                )
            )
        }
        view.children = children
        return view
    }
}
