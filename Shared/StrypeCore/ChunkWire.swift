import Foundation

/// Where one shard of a chunk lives and whether it is intact.
public struct ShardResponse: Codable, Sendable, Equatable {
    public var index: Int
    /// `cloud` (a provider account) or `array` (a desktop member).
    public var backend: String
    /// Nil (omitted) for someone the file is shared with: which of the owner's backends hold it is the owner's.
    public var backendID: UUID?
    public var size: Int64
    public var sha256: String
    /// `ok` or `lost` (failed a check, an audit, or its backend is gone).
    public var state: String

    public init(index: Int, backend: String, backendID: UUID?, size: Int64, sha256: String, state: String) {
        self.index = index
        self.backend = backend
        self.backendID = backendID
        self.size = size
        self.sha256 = sha256
        self.state = state
    }
}

/// A stored chunk: `PUT /` and `POST /` answer it, `GET /{id}/info` adds the health.
public struct ChunkResponse: Codable, Sendable, Equatable {
    public var chunkID: String
    public var size: Int64
    /// SHA-256 of the plaintext, for a chunk a user stored directly (a file's chunks have their file's instead).
    public var sha256: String?
    public var durability: String
    public var encryption: String
    public var shards: [ShardResponse]
    /// `healthy` (every shard ok), `degraded` (readable, some lost) or `unavailable`.
    public var health: String?
    /// true: a small file's content kept sealed in the metadata database (PostgreSQL), with no shards.
    public var inline: Bool?

    public init(
        chunkID: String,
        size: Int64,
        sha256: String?,
        durability: String,
        encryption: String,
        shards: [ShardResponse],
        health: String?,
        inline: Bool? = nil
    ) {
        self.chunkID = chunkID
        self.size = size
        self.sha256 = sha256
        self.durability = durability
        self.encryption = encryption
        self.shards = shards
        self.health = health
        self.inline = inline
    }
}
