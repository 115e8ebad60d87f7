import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StrypeCodec
import StrypeCore
import StrypeService

/// Resumable uploads, tus 1.0.0 (core, creation, creation-with-upload, termination, checksum, expiration). What
/// arrives is cut into chunks and stored as it comes, so a resumed upload never sends or stores a chunk twice; bytes
/// short of a whole chunk are kept with the upload until the next request. The file appears when the last byte is in.
struct TusController: RouteController {
    let core: FilesystemCore
    /// How long an upload may rest between requests.
    var expiry: TimeInterval { core.settings.tusExpirySeconds }
    /// The largest upload accepted.
    static let maximumSize: Int64 = 1 << 40
    static let version = "1.0.0"
    static let offsetContentType = "application/offset+octet-stream"
    static let checksumMismatch = HTTPResponse.Status(code: 460, reasonPhrase: "Checksum Mismatch")
    static let checksumMismatchError = APIError(
        checksumMismatch,
        code: "checksum_mismatch",
        message: "the bytes do not match Upload-Checksum"
    )

    enum Header {
        static let resumable = HTTPField.Name("Tus-Resumable")!
        static let version = HTTPField.Name("Tus-Version")!
        static let extensions = HTTPField.Name("Tus-Extension")!
        static let maxSize = HTTPField.Name("Tus-Max-Size")!
        static let checksumAlgorithms = HTTPField.Name("Tus-Checksum-Algorithm")!
        static let offset = HTTPField.Name("Upload-Offset")!
        static let length = HTTPField.Name("Upload-Length")!
        static let deferLength = HTTPField.Name("Upload-Defer-Length")!
        static let metadata = HTTPField.Name("Upload-Metadata")!
        static let expires = HTTPField.Name("Upload-Expires")!
        static let checksum = HTTPField.Name("Upload-Checksum")!
        static let prefix = HTTPField.Name("X-Forwarded-Prefix")!
    }

    func addRoutes(to routes: ServiceRoutes) {
        routes.router.on("/tus", method: .options, use: options)
        routes.router.on("/tus/{id}", method: .options, use: options)
        routes.router.group("/tus").add(middleware: TusVersionMiddleware()).add(middleware: routes.authentication)
            .post(use: create)
            .on("/{id}", method: .head, use: head)
            .patch("/{id}", use: patch)
            .delete("/{id}", use: terminate)
    }

    /// `OPTIONS /tus` → 204 with what this server supports.
    @Sendable func options(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        Response(
            status: .noContent,
            headers: [
                Header.resumable: Self.version,
                Header.version: Self.version,
                Header.extensions: "creation,creation-with-upload,termination,checksum,expiration",
                Header.maxSize: String(Self.maximumSize),
                Header.checksumAlgorithms: "sha1,sha256",
            ]
        )
    }

    /// `POST /tus` with `Upload-Length` and `Upload-Metadata` (`filename`; `path`: the file's path, or a folder when
    /// it ends in `/`; or `parent`: a folder's id, also one shared read-write) → 201 with `Location`; a body
    /// (`application/offset+octet-stream`) is its first bytes.
    @Sendable func create(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let caller = try FileInput.caller(context)
        guard let lengthText = request.headers[Header.length] else {
            if request.headers[Header.deferLength] != nil {
                throw APIError.badRequest("Upload-Defer-Length is not supported; send Upload-Length")
            }
            throw APIError.invalidField("Upload-Length", "required")
        }
        guard let length = Int64(lengthText), length >= 0 else {
            throw APIError.invalidField("Upload-Length", "a length in bytes")
        }
        guard length <= Self.maximumSize else {
            throw APIError(
                .contentTooLarge,
                code: "too_large",
                message: "uploads are at most \(Self.maximumSize) bytes"
            )
        }
        let target = try await destination(request.headers[Header.metadata], caller: caller)
        if request.headers[.contentType] == Self.offsetContentType, core.transfers.sealer.keepsInline(length),
            try FileInput.declaredLength(request) == length
        {
            return try await createWhole(request, target: target, length: length, context: context)
        }
        let (owner, path) = (target.owner, target.path)
        let terms = try await core.uploadTerms(request, owner: owner, directory: path.parent)
        if let room = try await core.roomForNewUpload(terms, owner: owner), length > room {
            throw FileInput.quotaExceeded(room)
        }
        let (durability, encryption) = (terms.durability, terms.encryption)
        var upload = TusUpload(
            id: UUID(),
            ownerID: owner,
            uploaderID: caller,
            path: path,
            length: length,
            received: 0,
            durability: durability,
            encryption: encryption,
            hashState: ResumableSHA256().saved,
            tail: [],
            head: [],
            expires: Date() + expiry
        )
        try await core.tus.create(upload)
        var headers: HTTPFields = [
            .location: "\(request.headers[Header.prefix] ?? "")/tus/\(upload.id.uuidString.lowercased())",
            Header.expires: FileHeaders.httpDate(upload.expires),
        ]
        if request.headers[.contentType] == Self.offsetContentType || length == 0 {
            upload = try await receive(request, upload, context: context)
            headers[Header.offset] = String(upload.received)
        }
        return Response(status: .created, headers: headers)
    }

    /// A small file sent whole with its creation (creation-with-upload): sealed and committed inline at once, with
    /// no upload kept, so it costs what `PUT /data` does → 201 with `Upload-Offset` at the end. A body that does not
    /// match `Upload-Checksum` is a 460 and stores nothing.
    private func createWhole(_ request: Request, target: Destination, length: Int64, context: StrypeRequestContext)
        async throws -> Response
    {
        let expected = try Self.checksum(request.headers[Header.checksum])
        let checksum = BodyChecksum(algorithm: expected?.algorithm)
        let stored = try await core.transfers.receiveInline(
            ChecksummedBody(base: request.body, checksum: checksum),
            length: length,
            owner: target.owner
        )
        if let expected, checksum.digest() != expected.digest { throw Self.checksumMismatchError }
        _ = try await core.commit(
            stored,
            at: target,
            storage: (
                try request.headers[FileInput.durabilityHeader].map { try FileInput.durability($0) }, nil
            ),
            upload: nil,
            logger: context.logger
        )
        return Response(
            status: .created,
            headers: [
                .location: "\(request.headers[Header.prefix] ?? "")/tus/\(UUID().uuidString.lowercased())",
                Header.offset: String(length),
            ]
        )
    }

    /// `HEAD /tus/{id}` → the offset reached, the length and the expiry.
    @Sendable func head(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let upload = try await find(context)
        return Response(
            status: .ok,
            headers: [
                Header.offset: String(upload.received),
                Header.length: String(upload.length),
                Header.expires: FileHeaders.httpDate(upload.expires),
                .cacheControl: "no-store",
            ]
        )
    }

    /// `PATCH /tus/{id}` with `Upload-Offset` (the offset reached, else 409) and the next bytes → 204 with the new
    /// offset; with `Upload-Checksum` the bytes count only when they match (460 otherwise). 413 when usage and what
    /// the upload holds would pass the quota; 403 (and the upload is cancelled) when the grant it writes through was
    /// revoked.
    @Sendable func patch(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let upload = try await find(context)
        try await checkWriteAccess(upload)
        guard request.headers[.contentType] == Self.offsetContentType else {
            throw APIError(
                .unsupportedMediaType,
                code: "unsupported_media_type",
                message: "send Content-Type: \(Self.offsetContentType)"
            )
        }
        guard let offset = request.headers[Header.offset].flatMap({ Int64($0) }), offset == upload.received else {
            throw APIError(
                .conflict,
                code: "offset_mismatch",
                message: "the upload is at offset \(upload.received)",
                headers: [Header.offset: String(upload.received)]
            )
        }
        let advanced = try await receive(request, upload, context: context)
        return Response(
            status: .noContent,
            headers: [
                Header.offset: String(advanced.received), Header.expires: FileHeaders.httpDate(advanced.expires),
            ]
        )
    }

    /// `DELETE /tus/{id}` → 204; what was stored is deleted.
    @Sendable func terminate(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let upload = try await find(context)
        try await core.tus.store.remove(upload.id)
        return Response(status: .noContent)
    }

    /// Takes the request's bytes into the upload and records the progress; the last byte commits the file.
    private func receive(_ request: Request, _ start: TusUpload, context: StrypeRequestContext) async throws
        -> TusUpload
    {
        let expected = try Self.checksum(request.headers[Header.checksum])
        let budget = try await core.room(owner: start.ownerID)
        var cap = start.length - start.received
        var overCap = APIError(.contentTooLarge, code: "too_large", message: "the body goes past Upload-Length")
        if let budget, budget.room - start.received < cap {
            // What the upload holds already counts: usage and the whole upload so far must fit the quota.
            cap = max(0, budget.room - start.received)
            overCap = FileInput.quotaExceeded(cap)
            if let declared = try FileInput.declaredLength(request), declared > cap { throw overCap }
        }
        let checksum = BodyChecksum(algorithm: expected?.algorithm)
        guard let saved = ResumableSHA256(saved: start.hashState) else {
            throw APIError(.internalServerError, code: "internal", message: "the upload's hash state is damaged")
        }
        var progress = Transfers.Progress(
            tail: ByteBuffer(bytes: start.tail),
            received: start.received,
            hasher: .resumable(saved),
            head: start.head
        )
        // Loose rows of this request's chunks carry their own id, so a failure here releases only them.
        let requestID = UUID()
        let broken: APIError?
        do {
            broken = try await core.transfers.ingest(
                ChecksummedBody(base: request.body, checksum: checksum),
                into: &progress,
                cap: cap,
                overCap: overCap,
                finalAt: start.length,
                keepOnBreak: expected == nil,
                inline: true,
                owner: start.ownerID,
                storage: (start.durability, start.encryption),
                upload: requestID
            )
        } catch {
            try? await core.nodes.releaseUpload(requestID)
            throw error
        }
        if let expected, broken == nil, checksum.digest() != expected.digest {
            try? await core.nodes.releaseUpload(requestID)
            throw Self.checksumMismatchError
        }
        guard case .resumable(let hasher) = progress.hasher else { preconditionFailure("tus hashes resumably") }
        var upload = start
        upload.received = progress.received
        upload.tail = Array(buffer: progress.tail)
        upload.hashState = hasher.saved
        upload.head = progress.head
        upload.expires = Date() + expiry
        if let inline = progress.inline {
            // The whole file arrived and is small: it is committed inline, and the upload goes in the same
            // statement. Until then the upload stays where it was, so a failed commit can be sent again.
            try await finish(upload, inline: inline, sha256: Checksum.hex(hasher.finalize()), context)
            return upload
        }
        guard try await core.tus.advance(upload, from: start.received, parts: progress.parts) else {
            try? await core.nodes.releaseUpload(requestID)
            throw APIError(.conflict, code: "offset_mismatch", message: "another request moved this upload on")
        }
        if let broken { throw broken }
        if upload.received == upload.length {
            try await finish(upload, inline: nil, sha256: Checksum.hex(hasher.finalize()), context)
        }
        return upload
    }

    /// Commits the whole upload as the file's new version (and forgets the upload, in the same transaction). An
    /// upload that may no longer be written (403) or no longer fits the quota (413) is cancelled: its chunks go to
    /// the collector.
    private func finish(_ upload: TusUpload, inline: ChunkPart?, sha256: String, _ context: StrypeRequestContext)
        async throws
    {
        try await checkWriteAccess(upload)
        let parts = try await core.tus.store.chunks(upload.id) + [inline].compactMap { $0 }
        let version = NewVersion(
            size: upload.length,
            sha256: sha256,
            durability: upload.durability,
            encryption: upload.encryption,
            contentType: ContentType.detect(name: upload.path.name, head: upload.head),
            chunks: parts
        )
        let node: NodeRecord
        do {
            node = try await core.nodes.commit(
                owner: upload.ownerID,
                path: upload.path,
                version: version,
                upload: upload.id
            ).0
        } catch let error as APIError where error.code == "quota_exceeded" {
            try? await core.tus.store.remove(upload.id)
            throw error
        }
        context.logger.info(
            "tus upload complete",
            metadata: ["file_id": "\(node.id)", "bytes": "\(upload.length)", "chunks": "\(parts.count)"]
        )
    }

    /// 403 when a grantee's upload may no longer be written where it goes; the upload is cancelled then.
    private func checkWriteAccess(_ upload: TusUpload) async throws {
        try await core.requireStillWrites(uploader: upload.uploaderID, owner: upload.ownerID, path: upload.path) {
            try? await core.tus.store.remove(upload.id)
        }
    }

    private func find(_ context: StrypeRequestContext) async throws -> TusUpload {
        let caller = try FileInput.caller(context)
        let id = try context.uuidParameter("id", resource: "upload")
        guard let upload = try await core.tus.find(uploader: caller, id: id) else {
            throw APIError.notFound("no such upload (finished, terminated or expired)")
        }
        return upload
    }

    /// Where the file goes: `filename` in the folder `parent`; metadata `path` (a folder when it ends in `/` or names
    /// one); else `/` + `filename`.
    private func destination(_ header: String?, caller: UUID) async throws -> Destination {
        let metadata = try Self.metadata(header)
        let filename = try metadata["filename"].map { try FileInput.fileName($0) }
        if let parent = metadata["parent"] {
            guard let filename else { throw APIError.invalidField("Upload-Metadata", "a parent needs a filename") }
            return try await core.access.destination(
                caller: caller,
                path: nil,
                parent: try FileInput.id(parent, field: "parent"),
                name: filename
            )
        }
        guard let text = metadata["path"] else {
            guard let filename else { throw APIError.invalidField("Upload-Metadata", "give filename or path") }
            return .own(caller, try FilePath.root.appending(filename))
        }
        let path = try FileInput.path(text)
        var isFolder = text.hasSuffix("/")
        if !isFolder { isFolder = try await core.nodes.resolve(owner: caller, path: path)?.kind == .dir }
        guard isFolder else {
            guard !path.isRoot else { throw APIError.invalidField("path", "the root is a folder") }
            return .own(caller, path)
        }
        guard let filename else { throw APIError.invalidField("Upload-Metadata", "a folder path needs a filename") }
        do {
            return .own(caller, try path.appending(filename))
        } catch {
            throw APIError.invalidField("path", error.description)
        }
    }

    /// `Upload-Metadata`: comma-separated `key base64value` pairs.
    static func metadata(_ header: String?) throws -> [String: String] {
        var pairs: [String: String] = [:]
        for item in (header ?? "").split(separator: ",") {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
            guard let key = parts.first, !key.isEmpty else { continue }
            guard parts.count == 2 else {
                pairs[String(key)] = ""
                continue
            }
            guard let decoded = Data(base64Encoded: String(parts[1])),
                let value = String(data: decoded, encoding: .utf8)
            else { throw APIError.invalidField("Upload-Metadata", "values are base64 UTF-8") }
            pairs[String(key)] = value
        }
        return pairs
    }

    /// `Upload-Checksum: sha1|sha256 <base64 digest>`.
    static func checksum(_ header: String?) throws -> (algorithm: String, digest: [UInt8])? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, ["sha1", "sha256"].contains(parts[0]),
            let digest = Data(base64Encoded: String(parts[1]))
        else {
            throw APIError.badRequest("Upload-Checksum is `sha1 <base64>` or `sha256 <base64>`", code: "bad_checksum")
        }
        return (String(parts[0]), Array(digest))
    }
}
