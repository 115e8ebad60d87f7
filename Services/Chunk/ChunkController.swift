import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StrypeCore
import StrypeService

/// Chunk's routes: store (raw or multipart), read (with Range), inspect, delete.
struct ChunkController: RouteController {
    let core: ChunkCore

    static let durabilityHeader = HTTPField.Name("X-Durability")!
    static let encryptionHeader = HTTPField.Name("X-Encryption")!
    /// The user a service stores or reads for.
    static let userHeader = HTTPField.Name("X-Strype-User")!
    static let chunkIDHeader = HTTPField.Name("X-Chunk-ID")!

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated()
            .put("/", use: putRaw)
            .post("/", use: postForm)
            .get("/{chunk}", use: read)
            .get("/{chunk}/info", use: info)
            .delete("/{chunk}", use: delete)
    }

    /// `PUT /` with the chunk as the body, `X-Durability` and `X-Encryption` → 201 with its shards. A user's chunk is
    /// charged to the user's quota once its size is known: 413 `quota_exceeded` when it does not fit.
    @Sendable func putRaw(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        ChunkResponse
    > {
        let owner = try Self.owner(request, context)
        let durability = try Self.durability(request.headers[Self.durabilityHeader])
        let encryption = try Self.encryption(request.headers[Self.encryptionHeader])
        let chunkID = try await proposedID(request, context)
        // What filesystem stores here is counted as file bytes; what a user stores directly is charged here.
        let isService = try context.requirePrincipal().isService
        // The body is read only once a store slot is free, so waiting requests hold no chunk in memory.
        let chunk = try await core.storeSlots.withLock {
            try await core.store(
                try await Self.collect(request, limit: ChunkCore.maximumChunkSize, into: (durability, encryption)),
                owner: owner,
                durability: durability,
                encryption: encryption,
                id: chunkID,
                chargingOwner: !isService
            )
        }
        context.logger.info("chunk stored", metadata: ["chunk_id": "\(chunk.id)", "durability": "\(durability)"])
        return EditedResponse(status: .created, response: chunk.response(health: "healthy"))
    }

    /// `POST /` as `multipart/form-data` with `durability`, `encryption` and the data part `data` → 201; charged to
    /// a user's quota like `PUT /`.
    @Sendable func postForm(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        ChunkResponse
    > {
        let owner = try Self.owner(request, context)
        let isService = try context.requirePrincipal().isService
        guard let boundary = request.headers[.contentType].flatMap(MultipartBoundary.parse) else {
            throw APIError(
                .unsupportedMediaType,
                code: "unsupported_media_type",
                message: "send multipart/form-data with a boundary"
            )
        }
        let chunk = try await core.storeSlots.withLock {
            let form = try await Self.form(request, boundary: boundary)
            guard let data = form.data else { throw APIError.invalidField("data", "the data part is required") }
            let durability = try Self.durability(form.fields["durability"])
            let encryption = try Self.encryption(form.fields["encryption"])
            var stripes = try StripeBuffer(expected: data.count, durability: durability, encryption: encryption)
            stripes.append(data)
            return try await core.store(
                stripes,
                owner: owner,
                durability: durability,
                encryption: encryption,
                chargingOwner: !isService
            )
        }
        return EditedResponse(status: .created, response: chunk.response(health: "healthy"))
    }

    /// A form's `data` part (at most a chunk: 413 past it) and its text fields, read as they stream in.
    private static func form(_ request: Request, boundary: String) async throws -> (
        data: [UInt8]?, fields: [String: String]
    ) {
        // As a whole body, a form is at most a chunk and a little more for its fields.
        _ = try request.declaredLength(atMost: Int64(ChunkCore.maximumChunkSize + (1 << 20)), tooLarge.message)
        let reader = MultipartReader(request.body.makeAsyncIterator(), boundary: boundary)
        var (data, fields): ([UInt8]?, [String: String]) = (nil, [:])
        do {
            while let event = try await reader.next() {
                guard case .part(let headers) = event, let name = headers.name else { continue }
                guard name == "data" else {
                    guard fields.count < 16 else {
                        throw APIError.badRequest("a chunk's form has at most 16 fields", code: "malformed_form")
                    }
                    fields[name] = try await reader.text(limit: 64 << 10).trimmingCharacters(
                        in: .whitespacesAndNewlines
                    )
                    continue
                }
                var bytes: [UInt8] = []
                for try await piece in reader.partBody() {
                    guard bytes.count + piece.readableBytes <= ChunkCore.maximumChunkSize else { throw tooLarge }
                    bytes += piece.readableBytesView
                }
                data = data ?? bytes
            }
        } catch let error as MultipartMalformed {
            throw APIError.badRequest("malformed form: \(error)", code: "malformed_form")
        }
        return (data, fields)
    }

    /// `GET /{chunk_id}` → the plaintext, or with a single `Range` → 206.
    @Sendable func read(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let chunk = try await owned(request, context)
        let range = try ByteRange.requested(request.headers[.range], size: chunk.size, of: "chunk")
        let plaintext = try await core.readSlots.withLock { try await core.read(chunk) }
        var headers: HTTPFields = [.contentType: "application/octet-stream", .acceptRanges: "bytes"]
        // A chunk never changes, so its id is as strong a validator as a hash of its bytes.
        headers[.eTag] = "\"\(chunk.sha256 ?? chunk.id)\""
        guard let range else {
            headers[.contentLength] = String(plaintext.readableBytes)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: plaintext))
        }
        let slice = plaintext.getSlice(
            at: plaintext.readerIndex + Int(range.lowerBound),
            length: Int(range.upperBound - range.lowerBound) + 1
        )!
        headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(chunk.size)"
        headers[.contentLength] = String(slice.readableBytes)
        return Response(status: .partialContent, headers: headers, body: .init(byteBuffer: slice))
    }

    /// `GET /{chunk_id}/info` → its shards, where they are, and its health.
    @Sendable func info(_ request: Request, context: StrypeRequestContext) async throws -> ChunkResponse {
        let chunk = try await owned(request, context)
        return chunk.response(health: ChunkCore.health(chunk))
    }

    /// `DELETE /{chunk_id}` → 204; shards a backend cannot delete now are retried until it does. A chunk the user
    /// stored directly is refunded to the quota; one of the user's files is not (filesystem counts those).
    @Sendable func delete(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let chunk = try await owned(request, context)
        try await core.delete(chunk)
        return .noContent
    }

    /// The id a service chose for the chunk (`X-Chunk-ID`), so it can record the chunk as pending before storing
    /// it and collect it if it never commits; 409 when taken. Users get a fresh id.
    private func proposedID(_ request: Request, _ context: StrypeRequestContext) async throws -> String? {
        guard let id = request.headers[Self.chunkIDHeader] else { return nil }
        guard try context.requirePrincipal().isService else {
            throw APIError.forbidden("only services choose chunk ids")
        }
        guard ChunkID.isValid(id) else { throw APIError.invalidField("X-Chunk-ID", "32 lower-case hex digits") }
        guard try await core.chunks.find(id) == nil else {
            throw APIError(.conflict, code: "chunk_exists", message: "a chunk with this id exists")
        }
        return id
    }

    /// The chunk if it belongs to the caller (or the user a service names); 404 for anyone else's.
    private func owned(_ request: Request, _ context: StrypeRequestContext) async throws -> ChunkRecord {
        let owner = try Self.owner(request, context)
        guard let id = context.parameters.get("chunk"), ChunkID.isValid(id), let chunk = try await core.chunks.find(id),
            chunk.ownerID == owner
        else { throw APIError.notFound("no such chunk") }
        return chunk
    }

    static let tooLarge = APIError(.contentTooLarge, code: "too_large", message: "a chunk is at most 64 MiB")

    static func owner(_ request: Request, _ context: StrypeRequestContext) throws -> UUID {
        let principal = try context.requirePrincipal()
        if principal.isService {
            guard let text = request.headers[userHeader], let user = UUID(uuidString: text) else {
                throw APIError.invalidField("X-Strype-User", "a service names the user it acts for")
            }
            return user
        }
        guard let user = principal.userID else { throw APIError.forbidden("chunks belong to users") }
        return user
    }

    static func durability(_ text: String?) throws -> DurabilitySpec {
        guard let text else { return ChunkCore.defaultDurability }
        return try StorageRequest.durability(text)
    }

    static func encryption(_ text: String?) throws -> EncryptionSpec {
        guard let text else { return .aes256gcm }
        return try StorageRequest.encryption(text)
    }

    /// The whole body, refusing more than `limit` bytes (413) and a body shorter than its `Content-Length` (400).
    static func collect(
        _ request: Request,
        limit: Int,
        into spec: (durability: DurabilitySpec, encryption: EncryptionSpec)
    ) async throws -> StripeBuffer {
        let declared = try request.declaredLength(atMost: Int64(limit), tooLarge.message)
        // Straight into the one buffer the chunk is sealed and encoded in, sized from the declared length.
        var stripes = try StripeBuffer(
            expected: Int(declared ?? 0),
            durability: spec.durability,
            encryption: spec.encryption
        )
        for try await piece in request.body {
            guard stripes.plaintextCount + piece.readableBytes <= limit else { throw tooLarge }
            stripes.append(piece)
        }
        try Request.checkComplete(received: stripes.plaintextCount, declared: declared)
        return stripes
    }
}

extension ChunkResponse: ResponseEncodable {}
