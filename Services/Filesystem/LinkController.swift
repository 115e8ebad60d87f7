import Crypto
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import StrypeCodec
import StrypeCore
import StrypeService

/// Share links: the owner makes a link to a file or folder (with an expiry, revocable); anyone holding it reads what
/// it names, and for a folder whatever lies below it, without an account, while the owner's account is active.
struct LinkController: Sendable {
    let nodes: any NodeRepository
    let access: NodeAccess
    let links: LinkRepository
    let data: DataController
    /// Tells whether a link's owner is still active (not disabled or deleted).
    let directory: any GranteeDirectory
    let authentication: AuthenticationMiddleware

    /// The longest a link may live.
    static let maximumLifetime: Int64 = 366 * 86_400

    func addRoutes(to router: Router<StrypeRequestContext>) {
        let owned = router.group("/info").add(middleware: authentication)
        owned.post("/{id}/links", use: create)
        owned.get("/{id}/links", use: list)
        owned.delete("/{id}/links/{link}", use: revoke)
        router.get("/s/{token}", use: open)
        router.get("/s/{token}/info", use: info)
        router.get("/s/{token}/files/{id}", use: openInside)
    }

    /// `POST /info/{id}/links {expires_in?}` → 201 with the link's token and URL (shown only here).
    @Sendable func create(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        LinkResponse
    > {
        let owner = try DataController.owner(context)
        let id = try context.uuidParameter("id", resource: "file")
        let node = try await access.reach(id, caller: owner, needs: .owner).node
        guard node.parentID != nil else { throw APIError.notFound("no such file") }
        let body = try await request.decode(as: CreateLinkRequest.self, context: context)
        if let seconds = body.expiresIn, !(60...Self.maximumLifetime).contains(seconds) {
            throw APIError.invalidField("expires_in", "60 seconds to 366 days")
        }
        let token = OpaqueToken.generate(prefix: "csl_")
        let link = LinkRecord(
            id: UUID(),
            nodeID: node.id,
            ownerID: owner,
            expires: body.expiresIn.map { Date() + Double($0) },
            created: Date()
        )
        try await links.insert(link, tokenSHA256: OpaqueToken.hexDigest(token))
        var response = link.response
        response.token = token
        response.url = "\(request.headers[TusController.Header.prefix] ?? "")/s/\(token)"
        return EditedResponse(status: .created, response: response)
    }

    /// `GET /info/{id}/links` → the node's live links (without tokens).
    @Sendable func list(_ request: Request, context: StrypeRequestContext) async throws -> Items<LinkResponse> {
        let owner = try DataController.owner(context)
        let id = try context.uuidParameter("id", resource: "file")
        _ = try await access.reach(id, caller: owner, needs: .owner)
        return Items(try await links.live(nodeID: id).map(\.response))
    }

    /// `DELETE /info/{id}/links/{link}` → 204; the link stops working at once.
    @Sendable func revoke(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let owner = try DataController.owner(context)
        let id = try context.uuidParameter("id", resource: "file")
        let link = try context.uuidParameter("link", resource: "link")
        guard try await links.delete(id: link, nodeID: id, ownerID: owner) else {
            throw APIError.notFound("no such link")
        }
        return .noContent
    }

    /// `GET /s/{token}` (anonymous) → the linked file's bytes (Range allowed); for a folder, its listing (paged as
    /// `/info`).
    @Sendable func open(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let node = try await linked(context)
        guard node.kind == .file else {
            return try await expand(node, request).response(from: request, context: context)
        }
        return try await data.serve(node, request)
    }

    /// `GET /s/{token}/info?limit=1000&cursor=` (anonymous) → what the link names: name, size, type; a folder's
    /// entries, at most `limit` (1–1000), with `next` for a `cursor` when some are left out.
    @Sendable func info(_ request: Request, context: StrypeRequestContext) async throws -> NodeResponse {
        try await expand(try await linked(context), request)
    }

    /// `GET /s/{token}/files/{id}` (anonymous) → a file inside a linked folder (at any depth).
    @Sendable func openInside(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let folder = try await linked(context)
        let id = try context.uuidParameter("id", resource: "file")
        guard folder.kind == .dir, let node = try await nodes.find(owner: folder.ownerID, id: id),
            try await links.isInside(id, folder.id)
        else { throw APIError.notFound("no such file") }
        return try await data.serve(node, request)
    }

    /// The node a live link names; 404 alike for unknown, expired, revoked links, trashed nodes and owners disabled
    /// or deleted (503 when auth cannot say: a disabled owner's link never works for want of an answer).
    private func linked(_ context: StrypeRequestContext) async throws -> NodeRecord {
        let gone = APIError.notFound("this link does not exist or has expired")
        guard let token = context.parameters.get("token"), token.utf8.count <= 100,
            let link = try await links.find(tokenSHA256: OpaqueToken.hexDigest(token))
        else { throw gone }
        guard try await directory.isActive(link.ownerID),
            let node = try await nodes.find(owner: link.ownerID, id: link.nodeID)
        else { throw gone }
        return node
    }

    /// The public view: names and sizes relative to the link, never the owner's path; a folder's entries paged.
    private func expand(_ node: NodeRecord, _ request: Request) async throws -> NodeResponse {
        var view = node.response(path: try FilePath.root.appending(node.name))
        view.attrs = nil
        view.tags = nil
        if node.kind == .dir {
            let page = try ListCursor.page(request)
            let (shown, next) = ListCursor.cut(
                try await nodes.children(of: node.id, after: page.after, limit: page.limit + 1),
                limit: page.limit
            )
            view.next = next
            view.children = try shown.map { child in
                var entry = child.response(path: try FilePath.root.appending(node.name).appending(child.name))
                entry.attrs = nil
                entry.tags = nil
                return entry
            }
        }
        return view
    }
}

/// A share link row.
struct LinkRecord: Sendable {
    var id: UUID
    var nodeID: UUID
    var ownerID: UUID
    var expires: Date?
    var created: Date

    var response: LinkResponse {
        LinkResponse(id: id, fileID: nodeID, token: nil, url: nil, expires: expires, created: created)
    }
}

/// Share links in Postgres, found by the SHA-256 of their token.
struct LinkRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    func insert(_ link: LinkRecord, tokenSHA256: String) async throws {
        try await client.query(
            """
            INSERT INTO fs.links (id, token_sha256, node_id, owner_id, expires_at)
            VALUES (\(link.id), \(tokenSHA256), \(link.nodeID), \(link.ownerID), \(link.expires))
            """,
            logger: logger
        )
    }

    func find(tokenSHA256: String) async throws -> LinkRecord? {
        let rows = try await client.query(
            """
            SELECT id, node_id, owner_id, expires_at, created_at FROM fs.links
            WHERE token_sha256 = \(tokenSHA256) AND (expires_at IS NULL OR expires_at > now())
            """,
            logger: logger
        )
        for try await row in rows.decode((UUID, UUID, UUID, Date?, Date).self) {
            return LinkRecord(id: row.0, nodeID: row.1, ownerID: row.2, expires: row.3, created: row.4)
        }
        return nil
    }

    func live(nodeID: UUID) async throws -> [LinkRecord] {
        let rows = try await client.query(
            """
            SELECT id, node_id, owner_id, expires_at, created_at FROM fs.links
            WHERE node_id = \(nodeID) AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at
            """,
            logger: logger
        )
        var found: [LinkRecord] = []
        for try await row in rows.decode((UUID, UUID, UUID, Date?, Date).self) {
            found.append(LinkRecord(id: row.0, nodeID: row.1, ownerID: row.2, expires: row.3, created: row.4))
        }
        return found
    }

    func delete(id: UUID, nodeID: UUID, ownerID: UUID) async throws -> Bool {
        let rows = try await client.query(
            "DELETE FROM fs.links WHERE id = \(id) AND node_id = \(nodeID) AND owner_id = \(ownerID) RETURNING id",
            logger: logger
        )
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    /// Whether `node` lies below `folder`.
    func isInside(_ node: UUID, _ folder: UUID) async throws -> Bool {
        let rows = try await client.query(
            """
            WITH RECURSIVE up (id, parent_id) AS (
                SELECT id, parent_id FROM fs.nodes WHERE id = \(node)
                UNION ALL
                SELECT n.id, n.parent_id FROM fs.nodes n JOIN up ON n.id = up.parent_id
            )
            SELECT count(*) FROM up WHERE parent_id = \(folder)
            """,
            logger: logger
        )
        for try await count in rows.decode(Int.self) { return count > 0 }
        return false
    }
}

extension LinkResponse: ResponseEncodable {}
