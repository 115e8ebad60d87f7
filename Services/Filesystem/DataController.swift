import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StrypeCore
import StrypeService

/// File contents: streamed uploads that commit a version atomically, and streamed downloads with Range.
struct DataController: Sendable {
    let nodes: any NodeRepository
    let access: NodeAccess
    let transfers: Transfers
    let authentication: AuthenticationMiddleware
    /// The quota of users without one of their own (nil: none).
    let defaultQuota: Int64?

    static let durabilityHeader = HTTPField.Name("X-Durability")!
    static let encryptionHeader = HTTPField.Name("X-Encryption")!
    /// Used until the user's settings say otherwise (DESIGN §3).
    static let defaultDurability = "raid1(2)"
    static let defaultEncryption = "aes256-gcm"

    func addRoutes(to router: Router<StrypeRequestContext>) {
        let data = router.group("/data").add(middleware: authentication)
        data.put(use: put)
        data.post(use: post)
        data.get("/{id}", use: get)
    }

    /// `PUT /data?path=/a/b.txt` (or `?parent={dir id}&name=b.txt`, also into a folder shared read-write) with the
    /// file as the raw body → 201 (new file) or 200 (new version). Missing parent directories are created. The version
    /// becomes visible only once every chunk is stored. A small file (its Content-Length at most `INLINE_MAX_BYTES`)
    /// is read whole, sealed and committed inline in one statement.
    @Sendable func put(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<NodeResponse> {
        let query = request.uri.queryParameters
        let target = try await access.destination(
            caller: try Self.owner(context),
            path: try query.get("path").map { try Self.path($0) },
            parent: try query.get("parent").map { try Self.id($0, field: "parent") },
            name: query.get("name")
        )
        let (owner, path) = (target.owner, target.path)
        guard !path.isRoot else { throw APIError.invalidField("path", "the root is a directory") }
        let declared = try Self.declaredLength(request)
        if let declared, transfers.sealer.keepsInline(declared) {
            // The storage choice, the quota and whether a directory is in the way are all settled by the commit.
            let durability = try request.headers[Self.durabilityHeader].map { try Self.durability($0) }
            _ = try request.headers[Self.encryptionHeader].map { try Self.encryption($0) }
            let stored = try await transfers.receiveInline(request.body, length: declared, owner: owner)
            return try await commit(
                stored,
                at: target,
                storage: (durability, nil),
                upload: nil,
                logger: context.logger
            )
        }
        // One walk of the path: whether a directory is in the way, and the storage its folders chose.
        let chain = try await nodes.chain(owner: owner, path: path)
        if chain.count == path.segments.count + 1, chain.last?.kind == .dir {
            throw APIError(.conflict, code: "is_a_directory", message: "\(path.name) is a directory")
        }
        let terms = try await uploadTerms(
            request,
            owner: owner,
            directory: path.parent,
            inherited: Array(chain.prefix(path.segments.count)).nearestStorage
        )
        let (durability, encryption, room) = (terms.durability, terms.encryption, terms.room)
        if let room, let declared, declared > room { throw Self.quotaExceeded(room) }
        let upload = UUID()
        let stored = try await receive(
            request.body,
            declared: declared,
            room: room,
            owner: owner,
            storage: (durability, encryption),
            upload: upload
        )
        return try await commit(
            stored,
            at: target,
            storage: (durability, encryption),
            upload: upload,
            logger: context.logger
        )
    }

    /// `POST /data` as `multipart/form-data`: a `path` field (the file's full path), a `directory` field or a
    /// `parent` field (a directory's id, also one shared read-write; the file keeps its own name), optional
    /// `durability` and `encryption`, and one file part, which streams into chunks as it arrives (never held whole).
    /// Fields naming the place come before the file; the others may follow it → 201 or 200 as for PUT.
    @Sendable func post(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<NodeResponse>
    {
        let caller = try Self.owner(context)
        guard let boundary = request.headers[.contentType].flatMap(MultipartBoundary.parse) else {
            throw APIError(
                .unsupportedMediaType,
                code: "unsupported_media_type",
                message: "send multipart/form-data with a boundary"
            )
        }
        let reader = MultipartReader(request.body.makeAsyncIterator(), boundary: boundary)
        var fields: [String: String] = [:]
        var received:
            (
                stored: Transfers.Stored, filename: String, fields: [String: String], target: Destination,
                storage: (String, String)
            )?
        let upload = UUID()
        do {
            while let event = try await reader.next() {
                guard case .part(let headers) = event else { continue }
                guard let filename = headers.filename else {
                    let value = try await reader.text(limit: 64 << 10)
                    if let name = headers.name { fields[name] = value }
                    continue
                }
                guard received == nil else { throw APIError.badRequest("one file per request", code: "malformed_form") }
                let target = try await destination(fields, filename: filename, caller: caller)
                let terms = try await uploadTerms(request, owner: target.owner, directory: target.path.parent)
                let choice = (
                    try fields["durability"].map { try Self.durability($0) } ?? terms.durability,
                    try fields["encryption"].map { try Self.encryption($0) } ?? terms.encryption
                )
                let stored = try await receive(
                    reader.partBody(),
                    declared: nil,
                    room: terms.room,
                    owner: target.owner,
                    storage: choice,
                    upload: upload
                )
                received = (stored, filename, fields, target, choice)
            }
        } catch let error as MultipartMalformed {
            try? await nodes.releaseUpload(upload)
            throw APIError.badRequest("malformed form: \(error)", code: "malformed_form")
        } catch {
            try? await nodes.releaseUpload(upload)
            throw error
        }
        guard let received else {
            throw APIError.invalidField("file", "the form has no file part")
        }
        var target = received.target
        if fields != received.fields {
            // Fields after the file may still name its place; its chunks are already the owner's, so that stays.
            do {
                target = try await destination(fields, filename: received.filename, caller: caller)
                guard target.owner == received.target.owner else {
                    throw APIError(
                        .conflict,
                        code: "other_owner",
                        message: "name a shared folder before the file part"
                    )
                }
            } catch {
                try? await nodes.releaseUpload(upload)
                throw error
            }
        }
        return try await commit(
            received.stored,
            at: target,
            storage: received.storage,
            upload: upload,
            logger: context.logger
        )
    }

    /// Stores `body` as the user's chunks; what was stored is released for collection if it fails.
    private func receive<Body: AsyncSequence>(
        _ body: Body,
        declared: Int64?,
        room: Int64?,
        owner: UUID,
        storage: (durability: String, encryption: String),
        upload: UUID
    ) async throws -> Transfers.Stored where Body.Element == ByteBuffer {
        do {
            return try await transfers.upload(
                body,
                expectedLength: declared,
                limit: room,
                owner: owner,
                durability: storage.durability,
                encryption: storage.encryption,
                upload: upload
            )
        } catch {
            try? await nodes.releaseUpload(upload)
            throw error
        }
    }

    /// Makes the stored chunks the file's new version at `target` → 201 (new file) or 200 (new version); 413 when
    /// uploads committed meanwhile left too little of the quota. A nil storage choice is the folder's or user's.
    func commit(
        _ stored: Transfers.Stored,
        at target: Destination,
        storage: (durability: String?, encryption: String?),
        upload: UUID?,
        logger: Logger
    ) async throws -> EditedResponse<NodeResponse> {
        let version = NewVersion(
            size: stored.size,
            sha256: stored.sha256,
            durability: storage.durability,
            encryption: storage.encryption,
            contentType: ContentType.detect(name: target.path.name, head: stored.head),
            chunks: stored.parts
        )
        let node: NodeRecord
        let created: Bool
        do {
            (node, created) = try await nodes.commit(
                owner: target.owner,
                path: target.path,
                version: version,
                upload: upload
            )
        } catch {
            if let upload { try? await nodes.releaseUpload(upload) }
            throw error
        }
        logger.info(
            "file stored",
            metadata: ["file_id": "\(node.id)", "bytes": "\(stored.size)", "chunks": "\(stored.parts.count)"]
        )
        return EditedResponse(status: created ? .created : .ok, response: try await access.response(node, at: target))
    }

    /// Where a form's file goes: its `path` field, else its own name in the `parent` or `directory` field's folder
    /// (the root without either).
    private func destination(_ fields: [String: String], filename: String, caller: UUID) async throws -> Destination {
        let name = try Self.fileName(filename)
        if let parent = fields["parent"] {
            return try await access.destination(
                caller: caller,
                path: nil,
                parent: try Self.id(parent, field: "parent"),
                name: name
            )
        }
        let path: FilePath
        if let full = fields["path"] {
            path = try Self.path(full)
        } else {
            do {
                path = try (try fields["directory"].map { try Self.path($0) } ?? .root).appending(name)
            } catch let error as FilePath.Invalid {
                throw APIError.invalidField("filename", error.description)
            }
        }
        return try await access.destination(caller: caller, path: path, parent: nil, name: nil)
    }

    static func id(_ text: String, field: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw APIError.invalidField(field, "a directory id") }
        return id
    }

    /// A file part's name: browsers send the base name; older ones a whole local path, of which the last part.
    static func fileName(_ raw: String) throws -> String {
        let base = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        do {
            return try FilePath.name(base)
        } catch {
            throw APIError.invalidField("filename", error.description)
        }
    }

    /// `GET /data/{id}` → the current version's bytes, streamed; a single `Range` → 206 (416 when it does not fit);
    /// `If-None-Match` with the ETag (the SHA-256) → 304.
    @Sendable func get(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let id = try context.uuidParameter("id", resource: "file")
        return try await serve(try await access.reach(id, caller: try Self.owner(context), needs: .read).node, request)
    }

    /// A file's current version as a streamed response, honouring `Range` and `If-None-Match`.
    func serve(_ node: NodeRecord, _ request: Request) async throws -> Response {
        guard node.kind == .file, let version = node.version else { throw APIError.notFound("no such file") }
        let owner = node.ownerID
        let etag = "\"\(version.sha256)\""
        var headers: HTTPFields = [
            .contentType: version.contentType,
            .acceptRanges: "bytes",
            .eTag: etag,
            .lastModified: Self.httpDate(node.modified),
            .contentDisposition: Self.disposition(node.name),
        ]
        if let match = request.headers[.ifNoneMatch],
            match == "*"
                || match.split(separator: ",").contains(where: {
                    $0.trimmingCharacters(in: .whitespaces) == etag
                })
        {
            return Response(status: .notModified, headers: headers)
        }
        var range: ClosedRange<Int64>?
        if let header = request.headers[.range] {
            guard let parsed = ByteRange.parse(header, size: version.size) else {
                throw APIError(
                    .rangeNotSatisfiable,
                    code: "range_not_satisfiable",
                    message: "the range does not fit the \(version.size)-byte file",
                    headers: [.contentRange: "bytes */\(version.size)"]
                )
            }
            range = parsed
        }
        guard version.size > 0 else {
            headers[.contentLength] = "0"
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }
        let parts = try await nodes.chunks(fileID: node.id, version: version.number)
        let wanted = range ?? 0...(version.size - 1)
        let body: ResponseBody
        if parts.count == 1, let content = parts[0].inline {
            // Opened before the answer starts: content that fails its check is a clean 503, not a cut-off download.
            let whole = try await transfers.sealer.open(parts[0], content: content, owner: owner)
            body = ResponseBody(byteBuffer: whole.getSlice(at: Int(wanted.lowerBound), length: wanted.count) ?? whole)
        } else {
            body = transfers.download(parts: parts, range: wanted, owner: owner)
        }
        headers[.contentLength] = String(wanted.upperBound - wanted.lowerBound + 1)
        guard let range else { return Response(status: .ok, headers: headers, body: body) }
        headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(version.size)"
        return Response(status: .partialContent, headers: headers, body: body)
    }

    /// What a new file at `directory` is stored with and how many bytes the owner may still store (nil: no quota).
    struct UploadTerms {
        var durability: String
        var encryption: String
        var room: Int64?
    }

    /// The terms of an upload, from one read of the user's settings. Durability and encryption: the request's
    /// headers, else the nearest directory's choice (`inherited` when the caller walked the path already), else the
    /// user's settings, else the defaults.
    func uploadTerms(_ request: Request, owner: UUID, directory: FilePath, inherited: StorageSettings? = nil)
        async throws -> UploadTerms
    {
        var walked = inherited
        if walked == nil { walked = try await nodes.storage(owner: owner, directory: directory) }
        let inherited = walked ?? StorageSettings()
        let user = try await nodes.settings(owner: owner)
        let quota = user.quota ?? defaultQuota
        var room: Int64?
        if let quota { room = max(0, quota - (try await nodes.usage(owner: owner).bytes)) }
        return UploadTerms(
            durability: try Self.durability(
                request.headers[Self.durabilityHeader] ?? inherited.durability ?? user.storage.durability
            ),
            encryption: try Self.encryption(
                request.headers[Self.encryptionHeader] ?? inherited.encryption ?? user.storage.encryption
            ),
            room: room
        )
    }

    /// The room an upload that is about to be created may declare: what the quota leaves once the owner's other open
    /// uploads have the room they declared, so many unfinished uploads cannot together hold more than the quota. nil
    /// without a quota.
    func roomForNewUpload(_ terms: UploadTerms, owner: UUID) async throws -> Int64? {
        guard let room = terms.room else { return nil }
        return max(0, room - (try await nodes.pendingUploads(owner: owner)))
    }

    /// The owner's quota, their own or the default; nil for none.
    func quota(owner: UUID) async throws -> Int64? {
        try await nodes.settings(owner: owner).quota ?? defaultQuota
    }

    /// The owner's quota and how many bytes it leaves now; nil without a quota (the usage is then not read).
    func room(owner: UUID) async throws -> (quota: Int64, room: Int64)? {
        guard let quota = try await quota(owner: owner) else { return nil }
        return (quota, max(0, quota - (try await nodes.usage(owner: owner).bytes)))
    }

    /// 403 (`writeRevoked`) when `uploader` may no longer write a file at `path` in `owner`'s tree; `cancel` runs
    /// first, so the upload's chunks go to the collector.
    func requireStillWrites(
        uploader: UUID,
        owner: UUID,
        path: FilePath,
        cancel: () async -> Void
    ) async throws {
        guard try await mayStillWrite(uploader: uploader, owner: owner, path: path) else {
            await cancel()
            throw Self.writeRevoked
        }
    }

    /// Whether `uploader` may still write a file at `path` in `owner`'s tree, by the rule the upload was created
    /// with (`NodeAccess`): always in their own tree; in another's only while a read-write grant reaches the folder,
    /// which must still be there (a commit would otherwise make folders outside any grant).
    func mayStillWrite(uploader: UUID, owner: UUID, path: FilePath) async throws -> Bool {
        guard uploader != owner else { return true }
        guard let folder = try await nodes.resolve(owner: owner, path: path.parent), folder.kind == .dir else {
            return false
        }
        do {
            _ = try await access.reach(folder.id, caller: uploader, needs: .readWrite)
            return true
        } catch let error as APIError where error.status == .notFound || error.status == .forbidden {
            return false
        }
    }

    /// 403 for an upload whose uploader lost write access to where it goes.
    static let writeRevoked = APIError.forbidden("you may no longer write into this folder; the upload is cancelled")

    static func quotaExceeded(_ room: Int64) -> APIError {
        APIError(
            .contentTooLarge,
            code: "quota_exceeded",
            message: "this upload does not fit your quota: \(room) bytes are left"
        )
    }

    static func owner(_ context: StrypeRequestContext) throws -> UUID {
        guard let user = try context.requirePrincipal().userID else {
            throw APIError.forbidden("files belong to users")
        }
        return user
    }

    static func path(_ text: String?) throws -> FilePath {
        guard let text else { throw APIError.invalidField("path", "a path is required") }
        do {
            return try FilePath(text)
        } catch {
            throw APIError.invalidField("path", error.description)
        }
    }

    static func durability(_ text: String?) throws -> String {
        guard let text else { return defaultDurability }
        return try StorageRequest.durability(text).description
    }

    static func encryption(_ text: String?) throws -> String {
        guard let text else { return defaultEncryption }
        return try StorageRequest.encryption(text).rawValue
    }

    static func declaredLength(_ request: Request) throws -> Int64? {
        guard let text = request.headers[.contentLength] else { return nil }
        guard let length = Int64(text), length >= 0 else {
            throw APIError.badRequest("Content-Length is not a length", code: "bad_content_length")
        }
        return length
    }

    /// `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266).
    static func disposition(_ name: String) -> String {
        let fallback = String(
            name.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" ? Character($0) : "_" }
        )
        let encoded = name.addingPercentEncoding(withAllowedCharacters: Self.attrChars) ?? ""
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }

    /// RFC 5987 attr-chars that need no escaping (ASCII only).
    static let attrChars = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~"
    )

    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}

extension NodeResponse: ResponseEncodable {}
