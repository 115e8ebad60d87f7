import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import StrypeCodec
import StrypeCore
import StrypeService

/// Multipart upload sessions (the invenio-s3 shape): a session hands out one signed URL per part; parts go up in any
/// order and in parallel, each stored as whole chunks as it arrives; `complete` checks every part is there, reads
/// the file back to hash it, and commits it. Expired sessions are collected.
struct UploadsController: RouteController {
    let core: FilesystemCore
    /// Signs part URLs; derived from the service secret, so any filesystem replica checks them.
    let signingKey: SymmetricKey
    var lifetime: TimeInterval { core.settings.tusExpirySeconds }
    /// As S3: more parts is a 400 `too_many_parts`.
    static let maximumParts = 10_000
    /// The most part URLs one answer signs; `GET /uploads/{id}?from=` gives the others.
    static let partsPerAnswer = 1000

    func addRoutes(to routes: ServiceRoutes) {
        // A part's URL is signed for one upload, so its PUT carries no token.
        routes.router.put("/uploads/{id}/parts/{part}", use: putPart)
        routes.authenticated("/uploads")
            .post(use: create)
            .get("/{id}", use: show)
            .post("/{id}/complete", use: complete)
            .delete("/{id}", use: abort)
    }

    /// `POST /uploads {path, size, part_size}` (or `parent_id` and `name` instead of `path`: a folder's id, also one
    /// shared read-write) → 201 with the session and the signed URLs of its first 1,000 parts (`next_part`: where
    /// `GET /uploads/{id}?from=` goes on). `part_size` is a multiple of the chunk size (so parts are whole chunks);
    /// more than 10,000 parts is a 400 `too_many_parts`.
    @Sendable func create(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        UploadSessionResponse
    > {
        let caller = try FileInput.caller(context)
        let body = try await request.decode(as: CreateUploadRequest.self, context: context)
        let chunkSize = Int64(core.transfers.chunkSize)
        guard (0...TusController.maximumSize).contains(body.size) else {
            throw APIError.invalidField("size", "0 to \(TusController.maximumSize) bytes")
        }
        guard body.partSize >= chunkSize, body.partSize % chunkSize == 0 else {
            throw APIError.invalidField("part_size", "a multiple of the chunk size, \(chunkSize) bytes")
        }
        let partCount = body.size == 0 ? 1 : (body.size + body.partSize - 1) / body.partSize
        guard partCount <= Int64(Self.maximumParts) else {
            throw APIError(
                .badRequest,
                code: "too_many_parts",
                message: "\(partCount) parts: at most \(Self.maximumParts) per upload; use larger parts",
                field: "part_size"
            )
        }
        let target = try await core.access.destination(
            caller: caller,
            path: try body.path.map { try FileInput.path($0) },
            parent: body.parentID,
            name: try body.name.map { try FileInput.fileName($0) }
        )
        guard !target.path.isRoot else { throw APIError.invalidField("path", "the root is a folder") }
        let terms = try await core.uploadTerms(request, owner: target.owner, directory: target.path.parent)
        if let room = try await core.roomForNewUpload(terms, owner: target.owner), body.size > room {
            throw FileInput.quotaExceeded(room)
        }
        let (durability, encryption) = (terms.durability, terms.encryption)
        let session = UploadSession(
            id: UUID(),
            ownerID: target.owner,
            uploaderID: caller,
            path: target.path,
            size: body.size,
            partSize: body.partSize,
            durability: durability,
            encryption: encryption,
            expires: Date() + lifetime
        )
        try await core.sessions.create(session)
        return EditedResponse(status: .created, response: view(session, received: [], request: request, from: 1))
    }

    /// `GET /uploads/{id}?from=1` → the session, with which parts have arrived: 1,000 parts from `from`.
    @Sendable func show(_ request: Request, context: StrypeRequestContext) async throws -> UploadSessionResponse {
        let session = try await owned(context)
        let text = request.uri.queryParameters.get("from") ?? "1"
        guard let from = Int(text), (1...session.partCount).contains(from) else {
            throw APIError.invalidField("from", "a part number, 1 to \(session.partCount)")
        }
        return view(session, received: try await core.sessions.receivedParts(session.id), request: request, from: from)
    }

    /// `PUT /uploads/{id}/parts/{part}?expires=…&signature=…` with exactly the part's bytes → 200 (no token: the
    /// signed URL is the permission). A part sent again replaces the earlier copy.
    @Sendable func putPart(_ request: Request, context: StrypeRequestContext) async throws -> UploadPartResponse {
        let id = try context.uuidParameter("id", resource: "upload")
        guard let number = context.parameters.get("part", as: Int.self),
            let expires = request.uri.queryParameters.get("expires", as: Int.self),
            let signature = request.uri.queryParameters.get("signature"),
            OpaqueToken.constantTimeEquals(signature, sign(id, number, expires)),
            Date(timeIntervalSince1970: Double(expires)) > Date()
        else {
            throw APIError(.forbidden, code: "bad_signature", message: "this part URL is not valid (or has expired)")
        }
        guard let session = try await core.sessions.find(id), (1...session.partCount).contains(number) else {
            throw APIError.notFound("no such upload or part")
        }
        let size = session.size(ofPart: number)
        guard request.headers[.contentLength].flatMap({ Int64($0) }) == size else {
            throw APIError.badRequest(
                "part \(number) is exactly \(size) bytes (Content-Length)",
                code: "length_mismatch"
            )
        }
        try await checkWriteAccess(session)
        if let budget = try await core.room(owner: session.ownerID) {
            // The parts already here count: usage and the whole session so far must fit the quota.
            let left = budget.room - (try await core.sessions.receivedBytes(session.id, except: number))
            if size > left { throw FileInput.quotaExceeded(max(0, left)) }
        }
        // Loose rows of this part's chunks carry their own id, so a failure releases only them, never chunks of a
        // part arriving in parallel.
        let requestID = UUID()
        let stored: Transfers.Stored
        do {
            stored = try await core.transfers.upload(
                request.body,
                expectedLength: size,
                limit: nil,
                inline: false,
                owner: session.ownerID,
                durability: session.durability,
                encryption: session.encryption,
                upload: requestID
            )
        } catch {
            try? await core.nodes.releaseUpload(requestID)
            throw error
        }
        try await core.sessions.recordPart(session.id, part: number, chunks: stored.parts)
        let url = partURL(session, number, request: request)
        return UploadPartResponse(part: number, size: size, url: url, expires: session.expires, received: true)
    }

    /// `POST /uploads/{id}/complete` → 201 (new file) or 200 (new version) once every part is there; 409 naming the
    /// missing parts otherwise. A session that may no longer be written (403: the grant it writes through was revoked)
    /// or no longer fits the quota (413) is cancelled: its chunks go to the collector.
    @Sendable func complete(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        NodeResponse
    > {
        let session = try await owned(context)
        let received = try await core.sessions.receivedParts(session.id)
        let missing = (1...session.partCount).filter { !received.contains($0) }
        guard missing.isEmpty else {
            throw APIError(
                .conflict,
                code: "parts_missing",
                message: "parts not received: \(missing.prefix(20).map(String.init).joined(separator: ", "))"
            )
        }
        try await checkWriteAccess(session)
        let parts = try await core.sessions.store.chunks(session.id)
        let (sha256, head) = try await core.transfers.hash(parts: parts, owner: session.ownerID)
        let version = NewVersion(
            size: session.size,
            sha256: sha256,
            durability: session.durability,
            encryption: session.encryption,
            contentType: ContentType.detect(name: session.path.name, head: head),
            chunks: parts
        )
        let node: NodeRecord
        let created: Bool
        do {
            (node, created) = try await core.nodes.commit(
                owner: session.ownerID,
                path: session.path,
                version: version,
                upload: session.id
            )
        } catch let error as APIError where error.code == "quota_exceeded" {
            try? await core.sessions.store.remove(session.id)
            throw error
        }
        guard session.uploaderID != session.ownerID else {
            return EditedResponse(status: created ? .created : .ok, response: node.response(path: session.path))
        }
        // A grantee sees the file as they reach it: from the folder shared with them.
        let reached = try await core.access.reach(node.id, caller: session.uploaderID, needs: .read)
        return EditedResponse(status: created ? .created : .ok, response: try await core.access.response(reached))
    }

    /// `DELETE /uploads/{id}` → 204; what was stored is deleted.
    @Sendable func abort(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let session = try await owned(context)
        try await core.sessions.store.remove(session.id)
        return .noContent
    }

    /// The session the caller is sending (the owner's, or a grantee's into a shared folder).
    private func owned(_ context: StrypeRequestContext) async throws -> UploadSession {
        let caller = try FileInput.caller(context)
        let id = try context.uuidParameter("id", resource: "upload")
        guard let session = try await core.sessions.find(id), session.uploaderID == caller else {
            throw APIError.notFound("no such upload (completed, aborted or expired)")
        }
        return session
    }

    /// 403 when a grantee's session may no longer be written where it goes; the session is cancelled then.
    private func checkWriteAccess(_ session: UploadSession) async throws {
        try await core.requireStillWrites(uploader: session.uploaderID, owner: session.ownerID, path: session.path) {
            try? await core.sessions.store.remove(session.id)
        }
    }

    /// The session with the signed URLs of up to `partsPerAnswer` parts from `from`.
    private func view(_ session: UploadSession, received: Set<Int>, request: Request, from: Int)
        -> UploadSessionResponse
    {
        let last = min(session.partCount, from + Self.partsPerAnswer - 1)
        // The path as the owner has it; a grantee's session shows only the file's name.
        let path = session.uploaderID == session.ownerID ? session.path.description : "/" + session.path.name
        return UploadSessionResponse(
            uploadID: session.id,
            path: path,
            size: session.size,
            partSize: session.partSize,
            expires: session.expires,
            parts: (from...last).map { number in
                UploadPartResponse(
                    part: number,
                    size: session.size(ofPart: number),
                    url: partURL(session, number, request: request),
                    expires: session.expires,
                    received: received.contains(number)
                )
            },
            nextPart: last < session.partCount ? last + 1 : nil
        )
    }

    private func partURL(_ session: UploadSession, _ number: Int, request: Request) -> String {
        let expires = Int(session.expires.timeIntervalSince1970)
        let prefix = request.headers[TusController.Header.prefix] ?? ""
        let id = session.id.uuidString.lowercased()
        return
            "\(prefix)/uploads/\(id)/parts/\(number)?expires=\(expires)&signature=\(sign(session.id, number, expires))"
    }

    private func sign(_ id: UUID, _ part: Int, _ expires: Int) -> String {
        let message = "\(id.uuidString.lowercased())/\(part)/\(expires)"
        return Checksum.hex(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: signingKey))
    }
}

extension UploadSessionResponse: ResponseEncodable {}
extension UploadPartResponse: ResponseEncodable {}
