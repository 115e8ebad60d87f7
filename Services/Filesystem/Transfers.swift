import Crypto
import Foundation
import Hummingbird
import NIOCore
import StrypeCore
import StrypeService

/// Streams files between clients and chunk (DESIGN §4): an upload is cut into chunks as it is read, with at most
/// `window` chunks being stored at once, which is the back-pressure on the client; a download fetches up to
/// `window` chunks ahead of what it writes. Memory per transfer is O(window × chunk size), whatever the file size.
struct Transfers: Sendable {
    let nodes: any NodeRepository
    let chunks: ChunkClient
    let chunkSize: Int
    let window: Int
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

    /// Reads `body` to its end, storing each full chunk as it fills. `expectedLength` (the request's
    /// Content-Length) is enforced: a body longer or shorter is a 400 and nothing is committed; so is `limit`
    /// (what the quota leaves), with a 413.
    func upload<Body: AsyncSequence>(
        _ body: Body,
        expectedLength: Int64?,
        limit: Int64?,
        owner: UUID,
        durability: String,
        encryption: String,
        upload: UUID
    ) async throws -> Stored where Body.Element == ByteBuffer {
        try await withThrowingTaskGroup(of: (Int, ChunkPart).self) { group in
            var hasher = SHA256()
            var buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
            var parts: [ChunkPart?] = []
            var inFlight = 0
            var total: Int64 = 0
            var head: [UInt8] = []
            var reader = body.makeAsyncIterator()
            while var piece = try await Self.nextPiece(&reader) {
                total += Int64(piece.readableBytes)
                if let expectedLength, total > expectedLength { throw Self.lengthMismatch }
                if let limit, total > limit { throw DataController.quotaExceeded(limit) }
                piece.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                if head.count < 512 { head += piece.readableBytesView.prefix(512 - head.count) }
                while piece.readableBytes > 0 {
                    let take = min(chunkSize - buffer.readableBytes, piece.readableBytes)
                    var slice = piece.readSlice(length: take)!
                    buffer.writeBuffer(&slice)
                    guard buffer.readableBytes == chunkSize else { continue }
                    if inFlight == window, let (seq, part) = try await group.next() {
                        parts[seq] = part
                        inFlight -= 1
                    }
                    let full = buffer
                    let seq = parts.count
                    parts.append(nil)
                    group.addTask {
                        (
                            seq,
                            try await store(
                                full,
                                owner: owner,
                                durability: durability,
                                encryption: encryption,
                                upload: upload
                            )
                        )
                    }
                    inFlight += 1
                    buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
                }
            }
            if let expectedLength, total != expectedLength { throw Self.lengthMismatch }
            if buffer.readableBytes > 0 {
                let last = buffer
                let seq = parts.count
                parts.append(nil)
                group.addTask {
                    (
                        seq,
                        try await store(
                            last,
                            owner: owner,
                            durability: durability,
                            encryption: encryption,
                            upload: upload
                        )
                    )
                }
            }
            for try await (seq, part) in group { parts[seq] = part }
            let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            return Stored(size: total, sha256: digest, parts: parts.compactMap { $0 }, head: head)
        }
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

    static let lengthMismatch = APIError(
        .badRequest,
        code: "length_mismatch",
        message: "the body's length differs from its Content-Length"
    )

    /// Records the chunk as loose (so it is collected if the upload never commits), then stores it.
    private func store(
        _ bytes: ByteBuffer,
        owner: UUID,
        durability: String,
        encryption: String,
        upload: UUID
    ) async throws -> ChunkPart {
        let id = ChunkID.generate()
        try await nodes.addLooseChunk(id, owner: owner, upload: upload, collectAfter: Date() + orphanAge)
        let stored = try await chunks.store(bytes, id: id, owner: owner, durability: durability, encryption: encryption)
        return ChunkPart(chunkID: id, size: stored.size)
    }

    /// The bytes `range` (inclusive) of a file made of `parts`, written in order while up to `window` chunks are
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
        let chunks = self.chunks
        let window = self.window
        let wanted = pieces
        return ResponseBody(contentLength: Int(range.upperBound - range.lowerBound + 1)) { writer in
            var pending: [Task<ByteBuffer, any Error>] = []
            var next = 0
            defer { for task in pending { task.cancel() } }
            while next < wanted.count || !pending.isEmpty {
                while pending.count < window, next < wanted.count {
                    let piece = wanted[next]
                    pending.append(
                        Task {
                            try await chunks.read(
                                piece.part.chunkID,
                                owner: owner,
                                range: piece.within,
                                size: piece.part.size
                            )
                        }
                    )
                    next += 1
                }
                let bytes = try await pending.removeFirst().value
                try await writer.write(bytes)
            }
            try await writer.finish(nil)
        }
    }
}
