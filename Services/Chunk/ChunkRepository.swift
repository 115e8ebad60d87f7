import Foundation
import Logging
import PostgresNIO
import StrypeCore
import StrypeService

/// Where a shard lives: a cloud account or an array member, and its key there.
struct ShardLocation: Sendable, Hashable {
    var backend: BackendRef
    var key: String
}

/// A shard row.
struct ShardRecord: Sendable {
    var index: Int
    var location: ShardLocation
    var size: Int64
    var sha256: String
    var lost: Bool
}

/// A chunk row with its shards.
struct ChunkRecord: Sendable {
    var id: String
    var ownerID: UUID
    var size: Int64
    var sealedSize: Int64
    /// The plaintext's SHA-256, for a chunk a user stored directly; nil for a file's (see migration 5).
    var sha256: String?
    var durability: DurabilitySpec
    var encryption: EncryptionSpec
    var wrappedKey: [UInt8]?
    var shards: [ShardRecord]
    /// Stored by a user directly, so its size was charged to the user's quota (a file's chunks, stored by
    /// filesystem, count as file bytes instead): deleting it refunds the size.
    var charged = false

    /// The API view.
    func response(health: String? = nil) -> ChunkResponse {
        ChunkResponse(
            chunkID: id,
            size: size,
            sha256: sha256,
            durability: durability.description,
            encryption: encryption.rawValue,
            shards: shards.map {
                ShardResponse(
                    index: $0.index,
                    backend: $0.location.backend.kind.rawValue,
                    backendID: $0.location.backend.id,
                    size: $0.size,
                    sha256: $0.sha256,
                    state: $0.lost ? "lost" : "ok"
                )
            },
            health: health
        )
    }
}

/// `ChunkRepository` on PostgreSQL.
struct ChunkRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    func sealedUserKey(_ userID: UUID, make: @Sendable () throws -> [UInt8]) async throws -> [UInt8] {
        if let found = try await existingKey(userID) { return found }
        let sealed = Data(try make())
        try await client.query(
            "INSERT INTO chunk.user_keys (user_id, sealed_key) VALUES (\(userID), \(sealed)) ON CONFLICT DO NOTHING",
            logger: logger
        )
        guard let stored = try await existingKey(userID) else {
            throw ChunkStoreError.inconsistent("no key for the owner")
        }
        return stored
    }

    private func existingKey(_ userID: UUID) async throws -> [UInt8]? {
        let rows = try await client.query(
            "SELECT sealed_key FROM chunk.user_keys WHERE user_id = \(userID)",
            logger: logger
        )
        for try await key in rows.decode(Data.self) { return Array(key) }
        return nil
    }

    func insert(_ chunk: ChunkRecord) async throws {
        // The chunk and its shards in one statement: one round trip, no transaction of its own.
        let shards = chunk.shards
        try await client.query(
            """
            WITH chunk AS (
                INSERT INTO chunk.chunks (id, owner_id, size, sealed_size, sha256, durability, encryption, wrapped_key,
                                          charged)
                VALUES (\(chunk.id), \(chunk.ownerID), \(chunk.size), \(chunk.sealedSize), \(chunk.sha256),
                        \(chunk.durability.description), \(chunk.encryption.rawValue),
                        \(chunk.wrappedKey.map { Data($0) }), \(chunk.charged))
                RETURNING id
            )
            INSERT INTO chunk.shards (chunk_id, index, backend, backend_id, key, size, sha256)
            SELECT chunk.id, s.index, s.backend, s.backend_id, s.key, s.size, s.sha256
            FROM chunk, unnest(\(shards.map(\.index))::integer[], \(shards.map(\.location.backend.kind.rawValue))::text[],
                               \(shards.map(\.location.backend.id))::uuid[], \(shards.map(\.location.key))::text[],
                               \(shards.map(\.size))::bigint[], \(shards.map(\.sha256))::text[])
                AS s (index, backend, backend_id, key, size, sha256)
            """,
            logger: logger
        )
    }

    func find(_ id: String) async throws -> ChunkRecord? {
        let rows = try await client.query(
            """
            SELECT owner_id, size, sealed_size, sha256, durability, encryption, wrapped_key, charged FROM chunk.chunks
            WHERE id = \(id)
            """,
            logger: logger
        )
        var found: ChunkRecord?
        for try await row in rows.decode((UUID, Int64, Int64, String?, String, String, Data?, Bool).self) {
            guard let durability = DurabilitySpec(row.4), let encryption = EncryptionSpec(rawValue: row.5) else {
                continue
            }
            found = ChunkRecord(
                id: id,
                ownerID: row.0,
                size: row.1,
                sealedSize: row.2,
                sha256: row.3,
                durability: durability,
                encryption: encryption,
                wrappedKey: row.6.map { Array($0) },
                shards: [],
                charged: row.7
            )
        }
        guard var chunk = found else { return nil }
        let shardRows = try await client.query(
            """
            SELECT index, backend, backend_id, key, size, sha256, state FROM chunk.shards
            WHERE chunk_id = \(id) ORDER BY index
            """,
            logger: logger
        )
        for try await row in shardRows.decode((Int, String, UUID, String, Int64, String, String).self) {
            guard let kind = BackendKind(rawValue: row.1) else { continue }
            chunk.shards.append(
                ShardRecord(
                    index: row.0,
                    location: ShardLocation(backend: BackendRef(kind: kind, id: row.2), key: row.3),
                    size: row.4,
                    sha256: row.5,
                    lost: row.6 != "ok"
                )
            )
        }
        return chunk
    }

    func markLost(chunkID: String, index: Int, reason: String) async throws {
        try await client.query(
            """
            UPDATE chunk.shards SET state = 'lost', lost_reason = \(reason)
            WHERE chunk_id = \(chunkID) AND index = \(index)
            """,
            logger: logger
        )
    }

    func delete(_ id: String) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO chunk.pending_deletions (backend, backend_id, key)
                SELECT backend, backend_id, key FROM chunk.shards WHERE chunk_id = \(id)
                ON CONFLICT DO NOTHING
                """,
                logger: logger
            )
            let rows = try await connection.query(
                "DELETE FROM chunk.chunks WHERE id = \(id) RETURNING id",
                logger: logger
            )
            for try await _ in rows.decode(String.self) { return true }
            return false
        }
    }

    func queueDeletions(_ locations: [ShardLocation]) async throws {
        for location in locations {
            try await client.query(
                """
                INSERT INTO chunk.pending_deletions (backend, backend_id, key)
                VALUES (\(location.backend.kind.rawValue), \(location.backend.id), \(location.key)) ON CONFLICT DO NOTHING
                """,
                logger: logger
            )
        }
    }

    func chunksNeedingRepair(limit: Int) async throws -> [String] {
        let rows = try await client.query(
            "SELECT DISTINCT chunk_id FROM chunk.shards WHERE state = 'lost' LIMIT \(limit)",
            logger: logger
        )
        return try await rows.decode(String.self).collected()
    }

    func markLost(on backend: BackendRef, reason: String) async throws -> Int {
        let rows = try await client.query(
            """
            UPDATE chunk.shards SET state = 'lost', lost_reason = \(reason)
            WHERE backend = \(backend.kind.rawValue) AND backend_id = \(backend.id) AND state = 'ok' RETURNING index
            """,
            logger: logger
        )
        var count = 0
        for try await _ in rows.decode(Int.self) { count += 1 }
        return count
    }

    func backendsInUse() async throws -> [BackendRef] {
        let rows = try await client.query(
            "SELECT DISTINCT backend, backend_id FROM chunk.shards WHERE state = 'ok'",
            logger: logger
        )
        var backends: [BackendRef] = []
        for try await (kind, id) in rows.decode((String, UUID).self) {
            if let kind = BackendKind(rawValue: kind) { backends.append(BackendRef(kind: kind, id: id)) }
        }
        return backends
    }

    func replaceShard(chunkID: String, index: Int, with location: ShardLocation, size: Int64, sha256: String)
        async throws
    {
        try await client.query(
            """
            UPDATE chunk.shards SET backend = \(location.backend.kind.rawValue), backend_id = \(location.backend.id),
                key = \(location.key), size = \(size), sha256 = \(sha256), state = 'ok', lost_reason = NULL
            WHERE chunk_id = \(chunkID) AND index = \(index)
            """,
            logger: logger
        )
    }

    func statistics() async throws -> ChunkStatistics {
        var stats = ChunkStatistics(byDurability: [], shardsByState: [])
        let chunkRows = try await client.query(
            "SELECT durability, count(*), COALESCE(sum(size), 0)::bigint FROM chunk.chunks GROUP BY durability",
            logger: logger
        )
        for try await row in chunkRows.decode((String, Int64, Int64).self) { stats.byDurability.append(row) }
        let shardRows = try await client.query(
            "SELECT state, count(*) FROM chunk.shards GROUP BY state",
            logger: logger
        )
        for try await row in shardRows.decode((String, Int64).self) { stats.shardsByState.append(row) }
        return stats
    }

    func shardsDueForAudit(limit: Int) async throws -> [(chunkID: String, shard: ShardRecord)] {
        let rows = try await client.query(
            """
            UPDATE chunk.shards s SET audited_at = now()
            FROM (
                SELECT chunk_id, index FROM chunk.shards WHERE state = 'ok'
                ORDER BY audited_at NULLS FIRST LIMIT \(limit) FOR UPDATE SKIP LOCKED
            ) due
            WHERE s.chunk_id = due.chunk_id AND s.index = due.index
            RETURNING s.chunk_id, s.index, s.backend, s.backend_id, s.key, s.size, s.sha256
            """,
            logger: logger
        )
        var sample: [(String, ShardRecord)] = []
        for try await row in rows.decode((String, Int, String, UUID, String, Int64, String).self) {
            guard let kind = BackendKind(rawValue: row.2) else { continue }
            let location = ShardLocation(backend: BackendRef(kind: kind, id: row.3), key: row.4)
            sample.append(
                (row.0, ShardRecord(index: row.1, location: location, size: row.5, sha256: row.6, lost: false))
            )
        }
        return sample.map { (chunkID: $0.0, shard: $0.1) }
    }

    func pendingDeletions(limit: Int) async throws -> [ShardLocation] {
        let rows = try await client.query(
            """
            SELECT backend, backend_id, key FROM chunk.pending_deletions
            WHERE next_attempt_at <= now() ORDER BY next_attempt_at LIMIT \(limit)
            """,
            logger: logger
        )
        var locations: [ShardLocation] = []
        for try await (kind, id, key) in rows.decode((String, UUID, String).self) {
            guard let kind = BackendKind(rawValue: kind) else { continue }
            locations.append(ShardLocation(backend: BackendRef(kind: kind, id: id), key: key))
        }
        return locations
    }

    func deletionDone(_ location: ShardLocation) async throws {
        try await client.query(
            """
            DELETE FROM chunk.pending_deletions
            WHERE backend = \(location.backend.kind.rawValue) AND backend_id = \(location.backend.id) AND key = \(location.key)
            """,
            logger: logger
        )
    }

    func deletionFailed(_ location: ShardLocation, error: String) async throws {
        // Backs off up to an hour between attempts; the row stays until the backend confirms.
        try await client.query(
            """
            UPDATE chunk.pending_deletions SET attempts = attempts + 1, last_error = \(error),
                next_attempt_at = now() + LEAST(interval '1 hour', interval '10 seconds' * power(2, LEAST(attempts, 10)))
            WHERE backend = \(location.backend.kind.rawValue) AND backend_id = \(location.backend.id) AND key = \(location.key)
            """,
            logger: logger
        )
    }
}
