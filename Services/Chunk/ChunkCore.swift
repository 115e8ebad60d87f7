import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat
import StrypeCodec
import StrypeCore
import StrypeService

/// What chunk's routes and workers share: sealing, sharding, placing, reading back and deleting chunks.
struct ChunkCore: Sendable {
    let chunks: ChunkRepository
    let shards: ShardStore
    /// Seals each owner's key-encryption key under the master key.
    let userKeys: SecretBox
    let metrics: ChunkMetrics
    let logger: Logger
    /// Stores running at once in this instance (`CHUNK_STORE_SLOTS`): each holds its chunk several times over
    /// (plaintext, ciphertext, shards), so this bounds chunk's memory however many uploads arrive.
    let storeSlots: AsyncLock
    /// Reads running at once in this instance (`CHUNK_READ_SLOTS`): each holds its chunk two or three times over
    /// (shards, sealed, opened), so eight downloads reading ahead cannot add up past this.
    let readSlots: AsyncLock
    /// Where the bytes users store directly are charged against their quota (filesystem's ledger).
    let quota: any StorageQuota
    /// Owners' key-encryption keys, opened: a user's key never changes once made, and asking PostgreSQL for it
    /// on every chunk was one round trip of each small upload.
    let openedKeys = ExpiringCache<UUID, [UInt8]>(lifetime: .seconds(60))
    /// Backends a read recently had to fetch a spare beside: read last for a while.
    let slowBackends = ExpiringCache<BackendRef, Bool>(lifetime: .seconds(30), maximumEntries: 10_000)

    /// The largest chunk (DESIGN: chunks are at most 64 MiB).
    static let maximumChunkSize = 64 << 20
    /// Used when a request names no durability: two copies, so losing one backend loses nothing.
    static let defaultDurability = DurabilitySpec.replicas(2)

    /// Encrypts, cuts and places a chunk; every shard is on its backend before the chunk is recorded.
    private func place(
        _ stripes: consuming StripeBuffer,
        for owner: UUID,
        as spec: (durability: DurabilitySpec, encryption: EncryptionSpec),
        id: String?,
        charged: Bool,
        hashingPlaintext: Bool
    ) async throws -> ChunkRecord {
        let (durability, encryption) = spec
        let chunkID = id ?? ChunkID.generate()
        let started = ContinuousClock.now
        let size = stripes.plaintextCount
        let plaintextSHA256 = hashingPlaintext ? stripes.plaintextSHA256() : nil
        var dataKey: [UInt8]?
        var wrappedKey: [UInt8]?
        if encryption == .aes256gcm {
            let key = ChunkCipher.makeDataKey()
            wrappedKey = try ChunkCipher.wrap(
                dataKey: key,
                keyEncryptionKey: try await keyEncryptionKey(owner),
                chunkID: chunkID
            )
            dataKey = key
        }
        // Sealed and encoded where the bytes arrived: the shards are slices of one buffer (raid1's copies all the
        // same slice), which the HTTP client sends as they are.
        let (buffers, sealedSize) = try stripes.shards(dataKey: dataKey, chunkID: chunkID)
        // Every shard of a chunk has one size; the stripe buffer's codec already cut them.
        let shardSize = Int64(buffers[0].readableBytes)
        let copies: Bool
        if case .replicas = durability { copies = true } else { copies = false }
        // raid1's copies are one slice, hashed once; rs(1,M)'s parity shards are not copies of its data.
        let digests: [String] =
            copies
            ? Array(repeating: Checksum.sha256Hex(buffers[0].readableBytesView), count: buffers.count)
            : buffers.map { Checksum.sha256Hex($0.readableBytesView) }
        metrics.codec("encode", bytes: size, elapsed: ContinuousClock.now - started)
        let candidates = try await shards.candidates(for: owner)
        guard candidates.count >= durability.shardCount else {
            throw APIError.insufficientBackends(
                "\(durability) needs \(durability.shardCount) backends (healthy accounts or online members); "
                    + "\(candidates.count) available"
            )
        }
        var generator = SystemRandomNumberGenerator()
        guard
            let chosen = Placement.choose(
                durability.shardCount,
                from: candidates,
                shardSize: shardSize,
                using: &generator
            )
        else {
            let roomy = candidates.filter { $0.free >= shardSize }.count
            throw APIError(
                .insufficientStorage,
                code: "insufficient_storage",
                message:
                    "\(durability) needs \(durability.shardCount) backends with room for a shard; \(roomy) available"
            )
        }
        let spares = candidates.filter { candidate in
            candidate.free >= shardSize && !chosen.contains { $0.backend == candidate.backend }
        }
        let placed = try await write(
            buffers,
            digests: digests,
            chunkID: chunkID,
            owner: owner,
            on: chosen.map(\.backend),
            spares: spares.map(\.backend)
        )
        let record = ChunkRecord(
            id: chunkID,
            ownerID: owner,
            size: Int64(size),
            sealedSize: Int64(sealedSize),
            sha256: plaintextSHA256,
            durability: durability,
            encryption: encryption,
            wrappedKey: wrappedKey,
            shards: placed,
            charged: charged
        )
        do {
            try await chunks.insert(record)
        } catch {
            await forget(placed.map(\.location))
            throw error
        }
        return record
    }

    /// Stores a chunk (`place`), charging the owner when `chargingOwner` (a user sent the chunk directly; what a
    /// service stores is a file's, which filesystem counts): the size is charged to the user's quota first (413 `quota_exceeded` when it
    /// does not fit, before anything is written), refunded when the store fails, and the chunk is recorded as
    /// charged so that deleting it refunds it.
    func store(
        _ stripes: consuming StripeBuffer,
        owner: UUID,
        durability: DurabilitySpec,
        encryption: EncryptionSpec,
        id: String? = nil,
        chargingOwner: Bool
    ) async throws -> ChunkRecord {
        guard chargingOwner else {
            // What a service stores is part of a file, which has its own SHA-256 (see migration 5).
            return try await place(
                consume stripes,
                for: owner,
                as: (durability, encryption),
                id: id,
                charged: false,
                hashingPlaintext: false
            )
        }
        let size = Int64(stripes.plaintextCount)
        try await quota.charge(owner: owner, bytes: size)
        do {
            return try await place(
                consume stripes,
                for: owner,
                as: (durability, encryption),
                id: nil,
                charged: true,
                hashingPlaintext: true
            )
        } catch {
            await refund(owner: owner, bytes: size)
            throw error
        }
    }

    /// Gives `bytes` back to the owner's quota (see `StorageQuota.refund`).
    func refund(owner: UUID, bytes: Int64) async {
        await quota.refund(owner: owner, bytes: bytes, logger: logger)
    }

    /// Writes every shard in parallel; a shard whose backend fails goes to a spare. When some shard cannot be
    /// written at all, the ones written are queued for deletion and the store fails.
    func write(
        _ pieces: [ByteBuffer],
        digests: [String],
        chunkID: String,
        owner: UUID,
        on backends: [BackendRef],
        spares: [BackendRef]
    ) async throws -> [ShardRecord] {
        var spares = spares
        var placed: [Int: ShardRecord] = [:]
        var pending = Array(zip(pieces.indices, backends))
        while !pending.isEmpty {
            let outcomes = await withTaskGroup(of: (Int, BackendRef, (any Error)?).self) { group in
                for (index, backend) in pending {
                    let location = ShardLocation(
                        backend: backend,
                        key: ShardStore.key(owner: owner, chunkID: chunkID, index: index)
                    )
                    group.addTask {
                        do {
                            try await shards.put(pieces[index], sha256: digests[index], at: location)
                            return (index, backend, nil)
                        } catch {
                            return (index, backend, error)
                        }
                    }
                }
                var outcomes: [(Int, BackendRef, (any Error)?)] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            pending = []
            for (index, backend, error) in outcomes {
                let location = ShardLocation(
                    backend: backend,
                    key: ShardStore.key(owner: owner, chunkID: chunkID, index: index)
                )
                if let error {
                    logger.warning("shard write failed", metadata: ["backend": "\(backend)", "error": "\(error)"])
                    guard !spares.isEmpty else {
                        await forget(placed.values.map(\.location) + [location])
                        throw APIError(
                            .serviceUnavailable,
                            code: "backends_unavailable",
                            message: "a shard could not be written to any backend (last: \(error))"
                        )
                    }
                    pending.append((index, spares.removeFirst()))
                } else {
                    placed[index] = ShardRecord(
                        index: index,
                        location: location,
                        size: Int64(pieces[index].readableBytes),
                        sha256: digests[index],
                        lost: false
                    )
                }
            }
        }
        return placed.keys.sorted().map { placed[$0]! }
    }

    /// `healthy`, `degraded` or `unavailable`, from the shard states on record.
    static func health(_ chunk: ChunkRecord) -> String {
        let intact = chunk.shards.filter { !$0.lost }.count
        if intact >= chunk.durability.shardCount { return "healthy" }
        return intact >= chunk.durability.shardsNeeded ? "degraded" : "unavailable"
    }

    /// Deletes the chunk's record and its shards; shards that cannot be deleted now stay queued. A chunk a user
    /// stored directly is refunded to the user's quota (once: only the deletion that removed the row refunds).
    func delete(_ chunk: ChunkRecord) async throws {
        guard try await chunks.delete(chunk.id) else { return }
        if chunk.charged { await refund(owner: chunk.ownerID, bytes: chunk.size) }
        await drain(chunk.shards.map(\.location))
    }

    /// Tries queued deletions now; what fails stays queued with a backoff.
    func drain(_ locations: [ShardLocation]) async {
        for location in locations {
            do {
                try await shards.delete(location)
                try await chunks.deletionDone(location)
            } catch {
                try? await chunks.deletionFailed(location, error: "\(error)")
            }
        }
    }

    /// Removes the shards of a store that failed: queued first, so none is forgotten if this process dies.
    private func forget(_ locations: [ShardLocation]) async {
        do {
            try await chunks.queueDeletions(locations)
        } catch {
            logger.error("could not queue the shards of a failed store", metadata: ["error": "\(error)"])
        }
        await drain(locations)
    }

    /// The owner's key-encryption key, made on first use and kept sealed under the master key.
    func keyEncryptionKey(_ owner: UUID) async throws -> [UInt8] {
        try await openedKeys.value(for: owner) {
            let context = owner.uuidString.lowercased()
            let sealed = try await chunks.sealedUserKey(owner) {
                try userKeys.seal(ChunkCipher.makeDataKey(), context: context)
            }
            return try userKeys.open(sealed, context: context)
        }
    }
}
