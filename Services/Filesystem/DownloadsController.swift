import Foundation
import Hummingbird
import StrypeCodec
import StrypeCore
import StrypeService

/// Download tickets: a short-lived URL for one file, so a browser can stream a download to disk by navigating to it
/// instead of buffering it in the page to attach a bearer token.
struct DownloadsController: RouteController {
    let core: FilesystemCore
    /// How long a ticket starts downloads; a download that started runs to its end.
    var lifetime: Duration = .seconds(60)

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/info/{id}/download").post(use: create)
        routes.router.get("/d/{ticket}", use: open)
    }

    /// `POST /info/{id}/download` → 201 with the ticket's URL (`/api/filesystem/d/{ticket}`) and when it expires.
    @Sendable func create(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        DownloadTicketResponse
    > {
        let caller = try FileInput.caller(context)
        let node = try await core.access.reach(
            try context.uuidParameter("id", resource: "file"),
            caller: caller,
            needs: .read
        ).node
        guard node.kind == .file else { throw APIError.badRequest("only a file downloads", code: "not_a_file") }
        let ticket = OpaqueToken.generate(prefix: "csd_")
        try await core.redis.set(Self.key(ticket), "\(caller) \(node.id)", expiresIn: lifetime)
        let expires = Date().addingTimeInterval(Double(lifetime.components.seconds))
        return EditedResponse(
            status: .created,
            response: DownloadTicketResponse(url: "/api/filesystem/d/\(ticket)", expires: expires)
        )
    }

    /// `GET /d/{ticket}` (anonymous) → the file as `GET /data/{id}` would give it to the ticket's holder, with
    /// `Range`; 404 once the ticket expired, the caller lost access or their account was disabled (503 when auth
    /// cannot say).
    @Sendable func open(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let gone = APIError.notFound("this download link does not exist or has expired")
        guard let ticket = context.parameters.get("ticket"), ticket.utf8.count <= 100,
            let value = try await core.redis.get(Self.key(ticket))
        else { throw gone }
        let parts = value.split(separator: " ")
        guard parts.count == 2, let caller = UUID(uuidString: String(parts[0])),
            let id = UUID(uuidString: String(parts[1]))
        else { throw gone }
        guard try await core.directory.isActive(caller) else { throw gone }
        // Access is checked again: a grant revoked or a file trashed since the ticket was made ends it.
        return try await core.serve(try await core.access.reach(id, caller: caller, needs: .read).node, request)
    }

    /// Redis keeps the ticket's SHA-256, never the ticket.
    private static func key(_ ticket: String) -> String {
        "fs:download:" + OpaqueToken.hexDigest(ticket)
    }
}

extension DownloadTicketResponse: ResponseEncodable {}
