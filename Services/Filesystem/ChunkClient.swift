import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import StrypeCore
import StrypeService

/// Filesystem's calls to chunk, with its service token, on behalf of the file's owner.
struct ChunkClient: Sendable {
    let chunk: ServiceClient
    let tokens: ServiceTokenProvider
    let logger: Logger

    /// Stores one chunk under the id filesystem chose (recorded as loose beforehand).
    func store(
        _ bytes: ByteBuffer,
        id: String,
        owner: UUID,
        durability: String,
        encryption: String
    ) async throws -> ChunkResponse {
        var headers = try await headers(owner: owner)
        headers.add(name: "Content-Length", value: String(bytes.readableBytes))
        headers.add(name: "X-Chunk-ID", value: id)
        headers.add(name: "X-Durability", value: durability)
        headers.add(name: "X-Encryption", value: encryption)
        let response = try await chunk.send(.PUT, "/", headers: headers, body: .bytes(bytes), timeout: .seconds(300))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else { throw Self.passOn(response.status, body) }
        return try WireJSON.decode(ChunkResponse.self, from: body)
    }

    /// The chunk's bytes, or the part `range` of them. A read changes nothing, so one that failed in a way that may
    /// pass (a chunk instance restarting, too few shards reachable for a moment) is tried again with backoff: a
    /// download whose headers are sent can no longer answer an error, only cut the connection short.
    func read(_ id: String, owner: UUID, range: ClosedRange<Int64>?, size: Int64) async throws -> [ByteBuffer] {
        var attempt = 1
        while true {
            do {
                return try await readOnce(id, owner: owner, range: range, size: size)
            } catch  where attempt < Self.readAttempts && Self.mayPass(error) {
                logger.warning(
                    "chunk read failed; trying again",
                    metadata: ["chunk_id": "\(id)", "attempt": "\(attempt)", "error": "\(error)"]
                )
                try await Task.sleep(for: .milliseconds(250 << (attempt - 1)))
                attempt += 1
            }
        }
    }

    /// Six attempts span about eight seconds, time for a peer to restart or an agent to reconnect.
    static let readAttempts = 6

    /// Whether trying again may succeed: a failed connection or a 502, 503 or 504; not a 4xx or a cancellation.
    static func mayPass(_ error: any Error) -> Bool {
        if error is CancellationError { return false }
        guard let error = error as? APIError else { return true }
        return [502, 503, 504].contains(error.status.code)
    }

    /// The body as the pieces it arrived in: joining them into one buffer was a copy of every byte downloaded.
    private func readOnce(_ id: String, owner: UUID, range: ClosedRange<Int64>?, size: Int64) async throws
        -> [ByteBuffer]
    {
        var headers = try await headers(owner: owner)
        if let range { headers.add(name: "Range", value: "bytes=\(range.lowerBound)-\(range.upperBound)") }
        let response = try await chunk.send(.GET, "/\(id)", headers: headers, timeout: .seconds(300))
        guard response.status == .ok || response.status == .partialContent else {
            throw Self.passOn(response.status, try await response.body.collect(upTo: 1 << 20))
        }
        var pieces: [ByteBuffer] = []
        var received = 0
        for try await piece in response.body {
            received += piece.readableBytes
            guard received <= size else {
                throw APIError(
                    .badGateway,
                    code: "chunk_failed",
                    message: "chunk answered more bytes than the chunk holds"
                )
            }
            pieces.append(piece)
        }
        return pieces
    }

    /// Where the chunk's shards are and their health.
    func info(_ id: String, owner: UUID) async throws -> ChunkResponse {
        let response = try await chunk.send(.GET, "/\(id)/info", headers: try await headers(owner: owner))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw Self.passOn(response.status, body) }
        return try WireJSON.decode(ChunkResponse.self, from: body)
    }

    /// Deletes a chunk; true when it is gone (404 included: it was never stored or is gone already).
    func delete(_ id: String, owner: UUID) async throws -> Bool {
        let response = try await chunk.send(.DELETE, "/\(id)", headers: try await headers(owner: owner))
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.status == .noContent || response.status == .notFound
    }

    private func headers(owner: UUID) async throws -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(try await tokens.token())")
        headers.add(name: "X-Strype-User", value: owner.uuidString.lowercased())
        return headers
    }

    /// Chunk's own client errors (422 too few backends, 507 no room, 503 data unavailable, 400 bad durability) reach
    /// the user as they are; anything else is a 502.
    static func passOn(_ status: HTTPResponseStatus, _ body: ByteBuffer) -> APIError {
        let decoded = try? WireJSON.decode(ErrorBody.self, from: body)
        let code = decoded?.error.code ?? "chunk_failed"
        let message = decoded?.error.message ?? "chunk answered \(status.code)"
        switch status.code {
        case 400, 413, 422, 503, 507:
            return APIError(HTTPResponse.Status(code: Int(status.code)), code: code, message: message)
        default:
            return APIError(.badGateway, code: "chunk_failed", message: "storing or reading a chunk failed: \(message)")
        }
    }
}
