import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/info`: the tree listed to a depth, one node by id, renamed, moved or deleted, and where a file's chunks are.
struct InfoController: RouteController {
    let core: FilesystemCore

    /// The deepest listing one request may ask for.
    static let maximumDepth = 8

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/info")
            .get(use: tree)
            .get("/{id}", use: node)
            .post("/{id}", use: update)
            .post("/{id}/move", use: move)
            .delete("/{id}", use: delete)
            .get("/{id}/chunks", use: placement)
    }

    /// `GET /info?path=/&depth=1&limit=1000&cursor=` → the node at `path` with its entries down to `depth` (0–8), at
    /// most `limit` entries in all (1–1000; a folder's own first, then its subfolders' in order); a directory with
    /// entries left out has `next`, which `GET /info/{id}?cursor=` lists on from.
    @Sendable func tree(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let owner = try FileInput.caller(context)
        let path = try FileInput.path(request.uri.queryParameters.get("path") ?? "/")
        let depth = try Self.depth(request, default: "1")
        let page = try ListCursor.page(request)
        guard let node = try await core.nodes.resolve(owner: owner, path: path) else {
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
        let reached = try await core.reach(context, needs: .read)
        let view = try await core.access.response(reached)
        var budget = page.limit
        return try await expand(
            reached.node,
            at: try FileInput.path(view.path),
            depth: depth,
            after: page.after,
            budget: &budget,
            as: reached.access
        )
    }

    /// `POST /info/{id} {name?, attrs?, tags?}` → the node renamed in place and its metadata replaced.
    @Sendable func update(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let reached = try await core.reach(context, needs: .readWrite)
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
        try await core.nodes.update(
            owner: reached.node.ownerID,
            id: reached.node.id,
            name: name,
            attrs: body.attrs,
            tags: body.tags
        )
        return try await core.current(reached)
    }

    /// `POST /info/{id}/move {to}` or `{parent_id, name?}` → the node at its new place (moved, renamed or both);
    /// 409 when the name is taken or a folder would move into itself. A node moves only within its owner's tree.
    @Sendable func move(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        let caller = try FileInput.caller(context)
        let reached = try await core.reach(context, needs: .readWrite)
        let node = reached.node
        guard node.parentID != nil else { throw APIError.invalidField("to", "the root does not move") }
        guard !reached.isGrantRoot else { throw APIError.forbidden("only the owner moves a shared folder") }
        let body = try await request.decode(as: MoveRequest.self, context: context)
        let target = try await core.access.destination(
            caller: caller,
            path: try body.to.map { try FileInput.path($0) },
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
        try await core.nodes.move(owner: node.ownerID, id: node.id, to: target.path)
        return try await core.current(reached)
    }

    /// `DELETE /info/{id}` → 204, to the trash (the owner's, also when a grantee deletes); `?purge=true` deletes it
    /// (and its chunks) for good, from the trash too: the owner only.
    @Sendable func delete(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let caller = try FileInput.caller(context)
        let id = try context.uuidParameter("id", resource: "file")
        let purge = request.uri.queryParameters.get("purge") == "true"
        guard let node = try await core.nodes.findAny(owner: caller, id: id) else {
            let reached = try await core.access.reach(id, caller: caller, needs: purge ? .owner : .readWrite)
            guard !reached.isGrantRoot else { throw APIError.forbidden("only the owner deletes a shared folder") }
            try await core.nodes.trash(owner: reached.node.ownerID, id: id)
            return .noContent
        }
        guard node.parentID != nil else { throw APIError.notFound("no such file") }
        if purge {
            try await core.nodes.purge(owner: caller, id: id)
        } else {
            guard node.trashedAt == nil else { throw APIError.notFound("no such file") }
            try await core.nodes.trash(owner: caller, id: id)
        }
        return .noContent
    }

    /// `GET /info/{id}/chunks?limit=50&offset=0` → the current version's chunks in order, each with where its shards
    /// are and their health, as chunk tells it: what Cloudstrype did with the file. A small file's one inline chunk
    /// says so (`inline`, no shards): its bytes are in the metadata database.
    @Sendable func placement(_ request: Request, context: StrypeRequestContext) async throws -> Page<ChunkResponse> {
        let reached = try await core.reach(context, needs: .read)
        let node = reached.node
        guard node.kind == .file, let version = node.version else { throw APIError.notFound("no such file") }
        let query = request.uri.queryParameters
        let limit = min(max(query.get("limit", as: Int.self) ?? 50, 1), 200)
        let offset = max(query.get("offset", as: Int.self) ?? 0, 0)
        let parts = try await core.nodes.chunks(fileID: node.id, version: version.number)
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
                group.addTask { (index, try await core.chunks.info(part.chunkID, owner: node.ownerID)) }
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
            try await core.nodes.children(of: node.id, after: after, limit: budget + 1),
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
