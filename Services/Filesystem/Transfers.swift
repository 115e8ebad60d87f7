import Crypto
import Foundation
import Hummingbird
import NIOCore
import StrypeCodec
import StrypeCore
import StrypeService

/// Streams files between clients and chunk (DESIGN §4): an upload is cut into chunks as it is read, with at most
/// `window` chunks being stored at once, which is the back-pressure on the client; a download fetches up to
/// `readAheadBytes` ahead of what it writes. Memory per transfer is bounded by these, whatever the file size.
struct Transfers: Sendable {
    let nodes: any NodeRepository
    let chunks: ChunkClient
    /// Seals and opens the content of files small enough to be kept inline.
    let sealer: InlineSealer
    let chunkSize: Int
    let window: Int
    /// Bytes a download has in flight ahead of what it writes (at least one chunk's).
    let readAheadBytes: Int
    /// How long an upload may sit idle before its stored chunks count as orphans.
    let orphanAge: TimeInterval

    /// What an upload stored.
    struct Stored: Sendable {
        var size: Int64
        var sha256: String
        var parts: [ChunkPart]
        /// The first bytes, for content sniffing.
        var head: [UInt8]
    }

    /// A file's SHA-256 as it streams: swift-crypto's (faster) for whole uploads, a resumable one for tus.
    enum FileHasher: Sendable {
        case whole(SHA256)
        case resumable(ResumableSHA256)

        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            switch self {
            case .whole(var hasher):
                hasher.update(bufferPointer: bytes)
                self = .whole(hasher)
            case .resumable(var hasher):
                hasher.update(bytes)
                self = .resumable(hasher)
            }
        }

        var hex: String {
            switch self {
            case .whole(let hasher): Checksum.hex(hasher.finalize())
            case .resumable(let hasher): Checksum.hex(hasher.finalize())
            }
        }
    }

    /// Where a stream of a file's bytes stands: the chunks stored (in order), the bytes not yet a whole chunk, the
    /// running hash. A tus upload keeps it between requests.
    struct Progress: Sendable {
        var parts: [ChunkPart] = []
        var tail = ByteBuffer()
        var received: Int64 = 0
        var hasher: FileHasher
        var head: [UInt8] = []
        /// The whole file as one inline chunk, when it ended small enough (then `parts` is empty).
        var inline: ChunkPart?
    }

    /// Reads `body` to its end, storing each full chunk as it fills; with `inline`, a body that ends small enough is
    /// kept inline.
    /// `expectedLength` (the request's Content-Length) is enforced: a body longer or shorter is a 400 and nothing is
    /// committed; so is `limit` (what the quota leaves), with a 413.
    func upload<Body: AsyncSequence>(
        _ body: Body,
        expectedLength: Int64?,
        limit: Int64?,
        inline: Bool = true,
        owner: UUID,
        durability: String,
        encryption: String,
        upload: UUID
    ) async throws -> Stored where Body.Element == ByteBuffer {
        var progress = Progress(hasher: .whole(SHA256()))
        let cap = [expectedLength, limit].compactMap { $0 }.min()
        try await ingest(
            body,
            into: &progress,
            cap: cap,
            overCap: expectedLength == cap ? Self.lengthMismatch : FileInput.quotaExceeded(limit ?? 0),
            finalAt: nil,
            keepOnBreak: false,
            inline: inline,
            owner: owner,
            storage: (durability, encryption),
            upload: upload
        )
        if let expectedLength, progress.received != expectedLength { throw Self.lengthMismatch }
        return Stored(
            size: progress.received,
            sha256: progress.hasher.hex,
            parts: progress.parts + [progress.inline].compactMap { $0 },
            head: progress.head
        )
    }

    /// A body of exactly `length` bytes, small enough to be kept inline: read whole and sealed as one inline chunk,
    /// with nothing stored through chunk. Longer or shorter is a 400.
    func receiveInline<Body: AsyncSequence>(_ body: Body, length: Int64, owner: UUID) async throws -> Stored
    where Body.Element == ByteBuffer {
        var reader = body.makeAsyncIterator()
        var buffer = ByteBufferAllocator().buffer(capacity: Int(length))
        while var piece = try await Self.nextPiece(&reader) {
            guard Int64(buffer.readableBytes + piece.readableBytes) <= length else { throw Self.lengthMismatch }
            buffer.writeBuffer(&piece)
        }
        guard Int64(buffer.readableBytes) == length else { throw Self.lengthMismatch }
        let digest = buffer.withUnsafeReadableBytes { SHA256.hash(data: $0) }
        return Stored(
            size: length,
            sha256: Checksum.hex(digest),
            parts: [try await sealer.seal(buffer, owner: owner)],
            head: Array(buffer.readableBytesView.prefix(512))
        )
    }

    /// Adds `body` to `progress`: whole chunks are stored as they fill, at most `window` at once. The rest stays in
    /// `progress.tail` unless the stream reaches `finalAt` bytes or, without `finalAt`, its end; then it is stored too,
    /// or, with `inline`, when it is the whole file and small enough, sealed into `progress.inline`. More than `cap`
    /// bytes throws `overCap`. With `keepOnBreak`, a body that breaks off keeps what arrived (the stored chunks and the
    /// tail) and the break is returned; otherwise it is thrown.
    @discardableResult
    func ingest<Body: AsyncSequence>(
        _ body: Body,
        into progress: inout Progress,
        cap: Int64?,
        overCap: APIError,
        finalAt: Int64?,
        keepOnBreak: Bool,
        inline: Bool,
        owner: UUID,
        storage: (durability: String, encryption: String),
        upload: UUID
    ) async throws -> APIError? where Body.Element == ByteBuffer {
        let start = progress.received
        var buffer = progress.tail
        let sealer = self.sealer
        let (stored, broken, ended) = try await withThrowingTaskGroup(of: (Int, ChunkPart).self) {
            group -> ([ChunkPart], APIError?, Bool) in
            var parts: [ChunkPart?] = []
            var inFlight = 0
            var broken: APIError?
            var reader = body.makeAsyncIterator()
            func submit(_ bytes: ByteBuffer) async throws {
                if inFlight == window, let (seq, part) = try await group.next() {
                    parts[seq] = part
                    inFlight -= 1
                }
                let seq = parts.count
                parts.append(nil)
                group.addTask {
                    (seq, try await store(bytes, owner: owner, storage: storage, upload: upload))
                }
                inFlight += 1
            }
            while true {
                let next: ByteBuffer?
                do {
                    next = try await Self.nextPiece(&reader)
                } catch let error as APIError where keepOnBreak {
                    broken = error
                    break
                }
                guard var piece = next else { break }
                progress.received += Int64(piece.readableBytes)
                if let cap, progress.received - start > cap { throw overCap }
                piece.withUnsafeReadableBytes { progress.hasher.update($0) }
                if progress.head.count < 512 {
                    progress.head += piece.readableBytesView.prefix(512 - progress.head.count)
                }
                while piece.readableBytes > 0 {
                    let take = min(chunkSize - buffer.readableBytes, piece.readableBytes)
                    var slice = piece.readSlice(length: take)!
                    buffer.writeBuffer(&slice)
                    guard buffer.readableBytes == chunkSize else { continue }
                    try await submit(buffer)
                    buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
                }
            }
            let final = finalAt.map { progress.received == $0 } ?? (broken == nil)
            // The whole file is still in the buffer (no chunk was ever stored for it): small enough, it stays here.
            let keptInline =
                final && inline && progress.received == Int64(buffer.readableBytes)
                && sealer.keepsInline(progress.received)
            if final, !keptInline, buffer.readableBytes > 0 {
                try await submit(buffer)
                buffer = ByteBuffer()
            }
            for try await (seq, part) in group { parts[seq] = part }
            return (parts.compactMap { $0 }, broken, keptInline)
        }
        progress.parts += stored
        if ended {
            progress.inline = try await sealer.seal(buffer, owner: owner)
            buffer = ByteBuffer()
        }
        progress.tail = buffer
        return broken
    }

    static let lengthMismatch = APIError(
        .badRequest,
        code: "length_mismatch",
        message: "the body's length differs from its Content-Length"
    )

    /// Records the chunk as loose (so it is collected if the upload never commits), then stores it.
    private func store(
        _ bytes: ByteBuffer,
        owner: UUID,
        storage: (durability: String, encryption: String),
        upload: UUID
    ) async throws -> ChunkPart {
        let id = ChunkID.generate()
        try await nodes.addLooseChunk(id, owner: owner, upload: upload, collectAfter: Date() + orphanAge)
        // The store runs to its end even when the upload is cancelled (another chunk failed, the client left): chunk
        // finishes a store whose body it has, so the upload must learn the outcome before it lets its chunks be
        // collected. Otherwise the collector could delete the id while it does not exist yet, and the chunk stored
        // just after would be an orphan nobody records.
        let chunks = self.chunks
        let stored = try await Task {
            try await chunks.store(
                bytes,
                id: id,
                owner: owner,
                durability: storage.durability,
                encryption: storage.encryption
            )
        }.value
        return ChunkPart(chunkID: id, size: stored.size)
    }

    /// The next piece of the body; a body that breaks off (the client hung up, nginx gave up) is a 400.
    private static func nextPiece<Reader: AsyncIteratorProtocol>(_ reader: inout Reader) async throws -> ByteBuffer?
    where Reader.Element == ByteBuffer {
        do {
            return try await reader.next()
        } catch let error as MultipartMalformed {
            throw APIError.badRequest("malformed form: \(error)", code: "malformed_form")
        } catch {
            throw APIError(.badRequest, code: "truncated_body", message: "the upload broke off before its end")
        }
    }

    /// The bytes `range` (inclusive) of a file made of `parts`, written in order while up to `readAheadBytes` are
    /// fetched ahead.
    func download(parts: [ChunkPart], range: ClosedRange<Int64>, owner: UUID) -> ResponseBody {
        var pieces: [(part: ChunkPart, within: ClosedRange<Int64>?)] = []
        var offset: Int64 = 0
        for part in parts {
            let start = offset
            let end = offset + part.size - 1
            offset += part.size
            guard part.size > 0, end >= range.lowerBound, start <= range.upperBound else { continue }
            let from = max(range.lowerBound, start) - start
            let to = min(range.upperBound, end) - start
            pieces.append((part, from == 0 && to == part.size - 1 ? nil : from...to))
        }
        let wanted = pieces
        let logger = chunks.logger
        return ResponseBody(contentLength: Int(range.upperBound - range.lowerBound + 1)) { writer in
            do {
                try await readAhead(wanted, owner: owner) { try await writer.write(contentsOf: $0) }
            } catch {
                // The status is out: the client sees only an early end (or has left), so the cause is logged.
                logger.warning("download ended early", metadata: ["error": "\(error)"])
                throw error
            }
            try await writer.finish(nil)
        }
    }

    /// The SHA-256 and first bytes of a file made of `parts`, read back from chunk (multipart uploads, whose parts
    /// arrive in any order, are hashed this way when completed; it also proves every chunk reads back).
    func hash(parts: [ChunkPart], owner: UUID) async throws -> (sha256: String, head: [UInt8]) {
        var hasher = SHA256()
        var head: [UInt8] = []
        try await readAhead(parts.map { ($0, nil) }, owner: owner) { pieces in
            for bytes in pieces {
                bytes.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                if head.count < 512 { head += bytes.readableBytesView.prefix(512 - head.count) }
            }
        }
        return (Checksum.hex(hasher.finalize()), head)
    }

    /// How many of a piece's bytes a download sends.
    private static func length(_ piece: (part: ChunkPart, within: ClosedRange<Int64>?)) -> Int {
        piece.within?.count ?? Int(piece.part.size)
    }

    /// Hands each piece's bytes (as the buffers they arrived in) to `consume` in order while up to `readAheadBytes` of
    /// pieces are fetched ahead.
    private func readAhead(
        _ pieces: [(part: ChunkPart, within: ClosedRange<Int64>?)],
        owner: UUID,
        consume: ([ByteBuffer]) async throws -> Void
    ) async throws {
        let chunks = self.chunks
        let sealer = self.sealer
        var pending: [(task: Task<[ByteBuffer], any Error>, bytes: Int)] = []
        var inFlight = 0
        var next = 0
        defer { for entry in pending { entry.task.cancel() } }
        while next < pieces.count || !pending.isEmpty {
            while next < pieces.count, pending.isEmpty || inFlight + Self.length(pieces[next]) <= readAheadBytes {
                let piece = pieces[next]
                let bytes = Self.length(piece)
                inFlight += bytes
                pending.append(
                    (
                        Task {
                            if let content = piece.part.inline {
                                let whole = try await sealer.open(piece.part, content: content, owner: owner)
                                guard let within = piece.within else { return [whole] }
                                return [
                                    whole.getSlice(at: whole.readerIndex + Int(within.lowerBound), length: within.count)
                                        ?? whole
                                ]
                            }
                            return try await chunks.read(
                                piece.part.chunkID,
                                owner: owner,
                                range: piece.within,
                                size: piece.part.size
                            )
                        },
                        bytes
                    )
                )
                next += 1
            }
            let first = pending.removeFirst()
            inFlight -= first.bytes
            try await consume(try await first.task.value)
        }
    }
}
