import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import StrypeCore
import StrypeService
import Synchronization

/// The two kinds of storage a shard can live on.
enum BackendKind: String, Sendable, Hashable {
    case cloud
    case array
}

/// One backend: a cloud account or an array member.
struct BackendRef: Sendable, Hashable, CustomStringConvertible {
    var kind: BackendKind
    var id: UUID

    var description: String { "\(kind.rawValue):\(id.uuidString.lowercased())" }
}

/// A backend a new shard may go to, with what placement weighs.
struct Candidate: Sendable {
    var backend: BackendRef
    var free: Int64
}

/// Why chunk could not store or read.
enum ChunkStoreError: Error {
    case backend(BackendRef, String)
    /// The backend found its copy damaged (array checks what its agent read against the recorded SHA-256).
    case damaged(BackendRef)
    case inconsistent(String)
}

/// Shard I/O and backend discovery over cloud and array, with chunk's service token: shard keys carry the owner
/// (`chunks/<owner>/<chunk>/<index>`), so the service's raw key space never mixes users.
struct ShardStore: Sendable {
    let cloud: ServiceClient
    let array: ServiceClient
    let tokens: ServiceTokenProvider
    /// The backends each owner may use, kept for a moment: one listing from cloud and array serves the many chunks
    /// of a transfer or a burst of small files instead of two requests per chunk. A backend that went away meanwhile
    /// fails its write and a spare takes the shard.
    let candidateCache = ExpiringCache<UUID, [Candidate]>(lifetime: .seconds(2))
    /// The free space assumed for a cloud account that reports no capacity (S3 tells none).
    static let unknownCapacity: Int64 = 1 << 40

    static func key(owner: UUID, chunkID: String, index: Int) -> String {
        "chunks/\(owner.uuidString.lowercased())/\(chunkID)/\(index)"
    }

    /// The healthy cloud accounts and online array members `owner` may use (remembered for a moment).
    func candidates(for owner: UUID) async throws -> [Candidate] {
        try await candidateCache.value(for: owner) { try await listCandidates(for: owner) }
    }

    private func listCandidates(for owner: UUID) async throws -> [Candidate] {
        async let accounts = list(cloud, "/accounts?user=\(owner.uuidString.lowercased())", as: AccountResponse.self)
        async let members = list(array, "/members?user=\(owner.uuidString.lowercased())", as: MemberResponse.self)
        var found: [Candidate] = []
        for account in try await accounts where account.health == "healthy" {
            let free = (account.capacity ?? Self.unknownCapacity) - account.used
            found.append(Candidate(backend: BackendRef(kind: .cloud, id: account.id), free: max(free, 0)))
        }
        for member in try await members where member.online {
            found.append(Candidate(backend: BackendRef(kind: .array, id: member.id), free: member.free))
        }
        return found
    }

    func put(_ bytes: ByteBuffer, sha256: String, at location: ShardLocation) async throws {
        var headers = try await headers()
        headers.add(name: "Content-Length", value: String(bytes.readableBytes))
        headers.add(name: "X-Content-SHA256", value: sha256)
        // Chunk checks shards where it matters, on reading them back (AES-GCM, then each shard's SHA-256), so the
        // member's agent need not hash them on the way in or out.
        headers.add(name: "X-Integrity", value: "caller")
        let response = try await send(.PUT, location, headers: headers, body: .bytes(bytes))
        let body = try await response.body.collect(upTo: 64 << 10)
        guard response.status.code == 201 || response.status.code == 200 else {
            throw ChunkStoreError.backend(
                location.backend,
                "\(response.status.code) \(String(buffer: body).prefix(200))"
            )
        }
    }

    /// The shard's bytes, or nil when the backend says it has no such object.
    func get(_ location: ShardLocation, expectedSize: Int64) async throws -> ByteBuffer? {
        var headers = try await headers()
        headers.add(name: "X-Integrity", value: "caller")
        let response = try await send(.GET, location, headers: headers)
        if response.status == .ok {
            // Straight into one buffer of the shard's size, which the read then opens in place.
            var bytes = ByteBufferAllocator().buffer(capacity: Int(expectedSize))
            for try await part in response.body {
                guard bytes.readableBytes + part.readableBytes <= Int(expectedSize) else {
                    throw ChunkStoreError.backend(location.backend, "the shard is longer than recorded")
                }
                bytes.writeImmutableBuffer(part)
            }
            return bytes
        }
        let body = try await response.body.collect(upTo: 64 << 10)
        if response.status == .notFound { return nil }
        if response.status == .badGateway, String(buffer: body).contains("\"corrupt_object\"") {
            throw ChunkStoreError.damaged(location.backend)
        }
        throw ChunkStoreError.backend(location.backend, "\(response.status.code) \(String(buffer: body).prefix(200))")
    }

    /// Every array member (as a service sees them), for the grace-period check.
    func allMembers() async throws -> [MemberResponse] {
        try await list(array, "/members", as: MemberResponse.self)
    }

    /// Every cloud account (as a service sees them), for the health check.
    func allAccounts() async throws -> [AccountResponse] {
        try await list(cloud, "/accounts", as: AccountResponse.self)
    }

    /// Whether the backend still holds the shard: array audits it with a challenge (no data moves), cloud answers
    /// a HEAD with its size. nil when the backend cannot tell now.
    func audit(_ shard: ShardRecord) async throws -> Bool? {
        let id = shard.location.backend.id.uuidString.lowercased()
        switch shard.location.backend.kind {
        case .array:
            let response = try await array.send(
                .POST,
                "/members/\(id)/audit/\(shard.location.key)",
                headers: try await headers()
            )
            let body = try await response.body.collect(upTo: 64 << 10)
            if response.status == .notFound { return false }
            guard response.status == .ok else { return nil }
            return try WireJSON.decode(AuditResponse.self, from: body).status == "held"
        case .cloud:
            let response = try await cloud.send(
                .HEAD,
                "/accounts/\(id)/objects/\(shard.location.key)",
                headers: try await headers()
            )
            if response.status == .notFound { return false }
            guard response.status == .ok else { return nil }
            return response.headers.first(name: "Content-Length").flatMap { Int64($0) } == shard.size
        }
    }

    func delete(_ location: ShardLocation) async throws {
        let response = try await send(.DELETE, location, headers: try await headers())
        let body = try await response.body.collect(upTo: 64 << 10)
        // Gone already is deleted; a backend that itself no longer exists cannot hold the shard either.
        guard response.status.code == 204 || response.status.code == 404 else {
            throw ChunkStoreError.backend(
                location.backend,
                "\(response.status.code) \(String(buffer: body).prefix(200))"
            )
        }
    }

    private func send(
        _ method: HTTPMethod,
        _ location: ShardLocation,
        headers: HTTPHeaders,
        body: HTTPClientRequest.Body? = nil
    ) async throws -> HTTPClientResponse {
        let id = location.backend.id.uuidString.lowercased()
        switch location.backend.kind {
        case .cloud:
            return try await cloud.send(method, "/accounts/\(id)/objects/\(location.key)", headers: headers, body: body)
        case .array:
            return try await array.send(method, "/members/\(id)/objects/\(location.key)", headers: headers, body: body)
        }
    }

    private func headers() async throws -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(try await tokens.token())")
        return headers
    }

    private func list<Item: Codable & Sendable>(_ client: ServiceClient, _ path: String, as: Item.Type)
        async throws -> [Item]
    {
        let response = try await client.send(.GET, path, headers: try await headers())
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else {
            throw ServiceCallError(status: Int(response.status.code), body: String(buffer: body))
        }
        return try WireJSON.decode(Items<Item>.self, from: body).items
    }
}
