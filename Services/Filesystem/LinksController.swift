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
struct LinksController: RouteController {
    let core: FilesystemCore

    /// The longest a link may live.
    static let maximumLifetime: Int64 = 366 * 86_400

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/info/{id}/links").post(use: create).get(use: list).delete("/{link}", use: revoke)
        routes.router.group("/s/{token}").get(use: open).get("/info", use: info).get("/files/{id}", use: openInside)
    }

    /// `POST /info/{id}/links {expires_in?}` → 201 with the link's token and URL (shown only here).
    @Sendable func create(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        LinkResponse
    > {
        let caller = try FileInput.caller(context)
        let id = try context.uuidParameter("id", resource: "file")
        let node = try await core.access.reach(id, caller: caller, needs: .owner).node
        guard node.parentID != nil else { throw APIError.notFound("no such file") }
        let body = try await request.decode(as: CreateLinkRequest.self, context: context)
        if let seconds = body.expiresIn, !(60...Self.maximumLifetime).contains(seconds) {
            throw APIError.invalidField("expires_in", "60 seconds to 366 days")
        }
        let token = OpaqueToken.generate(prefix: "csl_")
        let link = LinkRecord(
            id: UUID(),
            nodeID: node.id,
            ownerID: caller,
            expires: body.expiresIn.map { Date() + Double($0) },
            created: Date()
        )
        try await core.links.insert(link, tokenSHA256: OpaqueToken.hexDigest(token))
        var response = link.response
        response.token = token
        response.url = "\(request.headers[TusController.Header.prefix] ?? "")/s/\(token)"
        return EditedResponse(status: .created, response: response)
    }

    /// `GET /info/{id}/links` → the node's live links (without tokens).
    @Sendable func list(_ request: Request, context: StrypeRequestContext) async throws -> Items<LinkResponse> {
        let caller = try FileInput.caller(context)
        let id = try context.uuidParameter("id", resource: "file")
        _ = try await core.access.reach(id, caller: caller, needs: .owner)
        return Items(try await core.links.live(nodeID: id).map(\.response))
    }

    /// `DELETE /info/{id}/links/{link}` → 204; the link stops working at once.
    @Sendable func revoke(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let caller = try FileInput.caller(context)
        let id = try context.uuidParameter("id", resource: "file")
        let link = try context.uuidParameter("link", resource: "link")
        guard try await core.links.delete(id: link, nodeID: id, ownerID: caller) else {
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
        return try await core.serve(node, request)
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
        guard folder.kind == .dir, let node = try await core.nodes.find(owner: folder.ownerID, id: id),
            try await core.links.isInside(id, folder.id)
        else { throw APIError.notFound("no such file") }
        return try await core.serve(node, request)
    }

    /// The node a live link names; 404 alike for unknown, expired, revoked links, trashed nodes and owners disabled
    /// or deleted (503 when auth cannot say: a disabled owner's link never works for want of an answer).
    private func linked(_ context: StrypeRequestContext) async throws -> NodeRecord {
        let gone = APIError.notFound("this link does not exist or has expired")
        guard let token = context.parameters.get("token"), token.utf8.count <= 100,
            let link = try await core.links.find(tokenSHA256: OpaqueToken.hexDigest(token))
        else { throw gone }
        guard try await core.directory.isActive(link.ownerID),
            let node = try await core.nodes.find(owner: link.ownerID, id: link.nodeID)
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
                try await core.nodes.children(of: node.id, after: page.after, limit: page.limit + 1),
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

extension LinkResponse: ResponseEncodable {}
