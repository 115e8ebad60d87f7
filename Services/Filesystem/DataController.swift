import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StrypeCore
import StrypeService

/// File contents: streamed uploads that commit a version atomically, and streamed downloads with Range.
struct DataController: RouteController {
    let core: FilesystemCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/data").put(use: put).post(use: post).get("/{id}", use: get)
    }

    /// `PUT /data?path=/a/b.txt` (or `?parent={dir id}&name=b.txt`, also into a folder shared read-write) with the
    /// file as the raw body → 201 (new file) or 200 (new version). Missing parent directories are created. The version
    /// becomes visible only once every chunk is stored. A small file (its Content-Length at most `INLINE_MAX_BYTES`)
    /// is read whole, sealed and committed inline in one statement.
    @Sendable func put(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<NodeResponse> {
        let query = request.uri.queryParameters
        let target = try await core.access.destination(
            caller: try FileInput.caller(context),
            path: try query.get("path").map { try FileInput.path($0) },
            parent: try query.get("parent").map { try FileInput.id($0, field: "parent") },
            name: query.get("name")
        )
        let (owner, path) = (target.owner, target.path)
        guard !path.isRoot else { throw APIError.invalidField("path", "the root is a directory") }
        let declared = try FileInput.declaredLength(request)
        if let declared, core.transfers.sealer.keepsInline(declared) {
            // The storage choice, the quota and whether a directory is in the way are all settled by the commit.
            let durability = try request.headers[FileInput.durabilityHeader].map { try FileInput.durability($0) }
            _ = try request.headers[FileInput.encryptionHeader].map { try FileInput.encryption($0) }
            let stored = try await core.transfers.receiveInline(request.body, length: declared, owner: owner)
            return try await core.commit(
                stored,
                at: target,
                storage: (durability, nil),
                upload: nil,
                logger: context.logger
            )
        }
        // One walk of the path: whether a directory is in the way, and the storage its folders chose.
        let chain = try await core.nodes.chain(owner: owner, path: path)
        if chain.count == path.segments.count + 1, chain.last?.kind == .dir {
            throw APIError(.conflict, code: "is_a_directory", message: "\(path.name) is a directory")
        }
        let terms = try await core.uploadTerms(
            request,
            owner: owner,
            directory: path.parent,
            inherited: Array(chain.prefix(path.segments.count)).nearestStorage
        )
        let (durability, encryption, room) = (terms.durability, terms.encryption, terms.room)
        if let room, let declared, declared > room { throw FileInput.quotaExceeded(room) }
        let upload = UUID()
        let stored = try await receive(
            request.body,
            declared: declared,
            room: room,
            owner: owner,
            storage: (durability, encryption),
            upload: upload
        )
        return try await core.commit(
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
        let caller = try FileInput.caller(context)
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
                let terms = try await core.uploadTerms(request, owner: target.owner, directory: target.path.parent)
                let choice = (
                    try fields["durability"].map { try FileInput.durability($0) } ?? terms.durability,
                    try fields["encryption"].map { try FileInput.encryption($0) } ?? terms.encryption
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
            try? await core.nodes.releaseUpload(upload)
            throw APIError.badRequest("malformed form: \(error)", code: "malformed_form")
        } catch {
            try? await core.nodes.releaseUpload(upload)
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
                try? await core.nodes.releaseUpload(upload)
                throw error
            }
        }
        return try await core.commit(
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
            return try await core.transfers.upload(
                body,
                expectedLength: declared,
                limit: room,
                owner: owner,
                durability: storage.durability,
                encryption: storage.encryption,
                upload: upload
            )
        } catch {
            try? await core.nodes.releaseUpload(upload)
            throw error
        }
    }

    /// Where a form's file goes: its `path` field, else its own name in the `parent` or `directory` field's folder
    /// (the root without either).
    private func destination(_ fields: [String: String], filename: String, caller: UUID) async throws -> Destination {
        let name = try FileInput.fileName(filename)
        if let parent = fields["parent"] {
            return try await core.access.destination(
                caller: caller,
                path: nil,
                parent: try FileInput.id(parent, field: "parent"),
                name: name
            )
        }
        let path: FilePath
        if let full = fields["path"] {
            path = try FileInput.path(full)
        } else {
            do {
                path = try (try fields["directory"].map { try FileInput.path($0) } ?? .root).appending(name)
            } catch let error as FilePath.Invalid {
                throw APIError.invalidField("filename", error.description)
            }
        }
        return try await core.access.destination(caller: caller, path: path, parent: nil, name: nil)
    }

    /// `GET /data/{id}` → the current version's bytes, streamed; a single `Range` → 206 (416 when it does not fit);
    /// `If-None-Match` with the ETag (the SHA-256) → 304.
    @Sendable func get(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let id = try context.uuidParameter("id", resource: "file")
        return try await core.serve(
            try await core.access.reach(id, caller: try FileInput.caller(context), needs: .read).node,
            request
        )
    }
}

extension NodeResponse: ResponseEncodable {}
