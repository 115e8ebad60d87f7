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
    let chunks: any ChunkRepository
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
    func store(
        _ plaintext: consuming [UInt8],
        owner: UUID,
        durability: DurabilitySpec,
        encryption: EncryptionSpec,
        id: String? = nil,
        charged: Bool = false,
        hashingPlaintext: Bool = true
    ) async throws -> ChunkRecord {
        let chunkID = id ?? ChunkID.generate()
        let started = ContinuousClock.now
        let size = plaintext.count
        let plaintextSHA256 = hashingPlaintext ? Checksum.sha256Hex(plaintext) : nil
        var sealed: [UInt8]
        var wrappedKey: [UInt8]?
        if encryption == .aes256gcm {
            let dataKey = ChunkCipher.makeDataKey()
            sealed = try ChunkCipher.seal(plaintext, dataKey: dataKey, chunkID: chunkID)
            wrappedKey = try ChunkCipher.wrap(
                dataKey: dataKey,
                keyEncryptionKey: try await keyEncryptionKey(owner),
                chunkID: chunkID
            )
        } else {
            sealed = plaintext
        }
        // A chunk in flight holds only its shards while they are written, not its plaintext and ciphertext too.
        plaintext = []
        let codec = try ShardCodec(durability)
        var pieces = try codec.encode(sealed)
        let sealedSize = sealed.count
        sealed = []
        let shardSize = Int64(codec.shardSize(length: sealedSize))
        let copies = durability.shardsNeeded == 1
        let digests: [String] =
            copies
            ? Array(repeating: Checksum.sha256Hex(pieces[0]), count: pieces.count)
            : pieces.map { Checksum.sha256Hex($0) }
        // Each distinct shard once as a buffer the HTTP client sends as it is: raid1's copies share one, where each
        // request used to copy its replica afresh.
        let buffers =
            copies
            ? Array(repeating: ByteBuffer(bytes: pieces[0]), count: pieces.count)
            : pieces.map { ByteBuffer(bytes: $0) }
        pieces = []
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

    /// `store`, charging the owner when `chargingOwner` (a user sent the chunk directly; what a service stores is a
    /// file's, which filesystem counts): the size is charged to the user's quota first (413 `quota_exceeded` when it
    /// does not fit, before anything is written), refunded when the store fails, and the chunk is recorded as
    /// charged so that deleting it refunds it.
    func store(
        _ plaintext: consuming [UInt8],
        owner: UUID,
        durability: DurabilitySpec,
        encryption: EncryptionSpec,
        id: String? = nil,
        chargingOwner: Bool
    ) async throws -> ChunkRecord {
        guard chargingOwner else {
            // What a service stores is part of a file, which has its own SHA-256 (see migration 5).
            return try await store(
                consume plaintext,
                owner: owner,
                durability: durability,
                encryption: encryption,
                id: id,
                hashingPlaintext: false
            )
        }
        let size = Int64(plaintext.count)
        try await quota.charge(owner: owner, bytes: size)
        do {
            return try await store(
                consume plaintext,
                owner: owner,
                durability: durability,
                encryption: encryption,
                charged: true
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
    private func write(
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

    /// The plaintext of a chunk: shards are fetched (the fewest needed first) and decoded; a bad or missing shard is
    /// marked lost and another is tried. An encrypted chunk's GCM tag authenticates all of it, so its shards are
    /// hashed only when that check fails (then each is checked against its SHA-256 and the chunk read again); an
    /// unencrypted chunk's shards are always hashed.
    func read(_ chunk: ChunkRecord) async throws -> ByteBuffer {
        guard chunk.encryption == .aes256gcm else {
            return ByteBuffer(bytes: try await decode(chunk, verifyingShards: true))
        }
        guard let wrapped = chunk.wrappedKey else {
            throw ChunkStoreError.inconsistent("encrypted chunk without a key")
        }
        let dataKey = try ChunkCipher.unwrap(
            wrapped,
            keyEncryptionKey: try await keyEncryptionKey(chunk.ownerID),
            chunkID: chunk.id
        )
        let sealed = try await decode(chunk, verifyingShards: false)
        if let plaintext = try? ChunkCipher.openData(sealed, dataKey: dataKey, chunkID: chunk.id) {
            return ByteBuffer(data: plaintext)
        }
        logger.warning("chunk failed authentication, checking each shard", metadata: ["chunk_id": "\(chunk.id)"])
        do {
            return ByteBuffer(
                data: try ChunkCipher.openData(
                    try await decode(chunk, verifyingShards: true),
                    dataKey: dataKey,
                    chunkID: chunk.id
                )
            )
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.serviceUnavailable, code: "data_unavailable", message: "the chunk failed authentication")
        }
    }

    /// The sealed bytes of a chunk, from enough of its shards.
    private func decode(_ chunk: ChunkRecord, verifyingShards: Bool) async throws -> [UInt8] {
        let shards = try await gather(chunk, verifying: verifyingShards)
        let started = ContinuousClock.now
        defer { metrics.codec("decode", bytes: Int(chunk.size), elapsed: ContinuousClock.now - started) }
        return try ShardCodec(chunk.durability).decode(shards, length: Int(chunk.sealedSize))
    }

    /// Enough intact shards to decode, one slot per index (nil where not fetched or bad); 503 when too few. Without
    /// `verifying`, a shard of the right size is taken as intact (the caller authenticates the result).
    ///
    /// The fewest shards needed are fetched at once, in `readOrder`; a failed one is replaced at once, and when all
    /// but the last have arrived, the last gets twice as long as the others took (at least `hedgeFloor`) before one
    /// more shard is fetched beside it (long-tail cutting): a slow member costs a chunk little, and is read last for a
    /// while after.
    private func gather(_ chunk: ChunkRecord, verifying: Bool = true) async throws -> [ArraySlice<UInt8>?] {
        let needed = chunk.durability.shardsNeeded
        var slots: [ArraySlice<UInt8>?] = Array(repeating: nil, count: chunk.durability.shardCount)
        var untried = readOrder(chunk)
        let started = ContinuousClock.now
        var good = 0
        await withTaskGroup(of: GatherEvent.self) { group in
            var running: [Int: BackendRef] = [:]
            var hedgeArmed = false
            func launch(spare: Bool = false) {
                metrics.shardRead(spare ? "spare" : "first")
                let shard = untried.removeFirst()
                running[shard.index] = shard.location.backend
                group.addTask {
                    let (shard, bytes, problem) = await fetch(shard, verifying: verifying)
                    return .fetched(shard, bytes, problem)
                }
            }
            while running.count < needed, !untried.isEmpty { launch() }
            while good < needed, let event = await group.next() {
                switch event {
                case .fetched(let shard, let bytes, let problem):
                    running[shard.index] = nil
                    if let bytes, shard.index < slots.count {
                        slots[shard.index] = bytes[...]
                        good += 1
                    } else {
                        if let problem { await reportLost(chunk, shard, reason: problem) }
                        if good + running.count < needed, !untried.isEmpty { launch() }
                    }
                case .hedge:
                    hedgeArmed = false
                    if good < needed, good + running.count <= needed, !untried.isEmpty {
                        for slow in running.values { slowBackends.put(slow, true) }
                        launch(spare: true)
                    }
                }
                // All but the last are in: the last gets twice as long as they took, then a spare starts beside it.
                if good == needed - 1, !hedgeArmed, !untried.isEmpty, running.count == 1 {
                    hedgeArmed = true
                    let wait = max(Self.hedgeFloor, (ContinuousClock.now - started) * 2)
                    group.addTask {
                        try? await Task.sleep(for: wait)
                        return .hedge
                    }
                }
            }
            group.cancelAll()
        }
        guard good >= needed else {
            throw APIError(
                .serviceUnavailable,
                code: "data_unavailable",
                message: "only \(good) of the \(needed) shards this chunk needs can be read now"
            )
        }
        return slots
    }

    /// What `gather` waits for: a shard fetched (or not), or the moment to fetch a spare beside a slow one.
    private enum GatherEvent: Sendable {
        case fetched(ShardRecord, [UInt8]?, String?)
        case hedge
    }

    /// The shortest wait for a last shard before a spare is fetched beside it.
    static let hedgeFloor: Duration = .milliseconds(50)

    /// The intact shards in the order to read them: members not found slow lately first; then, for rs, data shards
    /// before parity (all k data shards need no decoding), and for raid1 the replicas in a random order, so reads
    /// spread over every copy.
    func readOrder(_ chunk: ChunkRecord) -> [ShardRecord] {
        let intact = chunk.shards.filter { !$0.lost }
        let ordered = chunk.durability.shardsNeeded == 1 ? intact.shuffled() : intact.sorted { $0.index < $1.index }
        var fast: [ShardRecord] = []
        var slow: [ShardRecord] = []
        for shard in ordered {
            if slowBackends.get(shard.location.backend) == nil { fast.append(shard) } else { slow.append(shard) }
        }
        return fast + slow
    }

    /// Whether a shard is still intact: a cloud shard gets a HEAD, or with `fullRead` is read back and hashed; an
    /// array shard is audited by its member. nil when the backend cannot tell now.
    func scrub(_ shard: ShardRecord, fullRead: Bool) async throws -> Bool? {
        guard fullRead, shard.location.backend.kind == .cloud else { return try await shards.audit(shard) }
        let (_, bytes, problem) = await fetch(shard)
        return bytes != nil ? true : (problem == nil ? nil : false)
    }

    /// Rebuilds a chunk's lost shards from its intact ones (no decryption: shards are rebuilt from ciphertext) onto
    /// backends that hold no other shard of it, then queues the old copies' deletion. Returns how many shards are
    /// still lost afterwards (0: the chunk is whole).
    func repair(_ id: String) async throws -> Int {
        guard let chunk = try await chunks.find(id) else { return 0 }
        let lost = chunk.shards.filter(\.lost)
        guard !lost.isEmpty else { return 0 }
        let codec = try ShardCodec(chunk.durability)
        let sealed = try codec.decode(try await gather(chunk), length: Int(chunk.sealedSize))
        let pieces = try codec.encode(sealed)
        // A lost shard may go back to its own backend if that is still usable (a damaged copy is simply rewritten);
        // never onto a backend holding another shard of this chunk.
        var taken = Set(chunk.shards.filter { !$0.lost }.map(\.location.backend))
        var candidates = try await shards.candidates(for: chunk.ownerID)
        var restored = 0
        var generator = SystemRandomNumberGenerator()
        for shard in lost {
            let piece = pieces[shard.index]
            let usable = candidates.filter { !taken.contains($0.backend) }
            guard
                let target = Placement.choose(1, from: usable, shardSize: Int64(piece.count), using: &generator)?.first
            else {
                logger.warning("no backend to repair onto", metadata: ["chunk_id": "\(id)", "index": "\(shard.index)"])
                continue
            }
            let location = ShardLocation(
                backend: target.backend,
                key: ShardStore.key(owner: chunk.ownerID, chunkID: id, index: shard.index)
            )
            let digest = Checksum.sha256Hex(piece)
            do {
                try await shards.put(ByteBuffer(bytes: piece), sha256: digest, at: location)
            } catch {
                logger.warning("repair write failed", metadata: ["backend": "\(target.backend)", "error": "\(error)"])
                candidates.removeAll { $0.backend == target.backend }
                continue
            }
            try await chunks.replaceShard(
                chunkID: id,
                index: shard.index,
                with: location,
                size: Int64(piece.count),
                sha256: digest
            )
            if shard.location != location { try? await chunks.queueDeletions([shard.location]) }
            taken.insert(target.backend)
            restored += 1
        }
        logger.info(
            "chunk repaired",
            metadata: ["chunk_id": "\(id)", "restored": "\(restored)", "lost": "\(lost.count)"]
        )
        return lost.count - restored
    }

    /// One shard's bytes if intact (when `verifying`, checked against its SHA-256; else only its size); otherwise
    /// why not (nil problem: the backend is unreachable right now).
    private func fetch(_ shard: ShardRecord, verifying: Bool = true) async -> (ShardRecord, [UInt8]?, String?) {
        do {
            guard let bytes = try await shards.get(shard.location, expectedSize: shard.size) else {
                return (shard, nil, "the backend no longer has it")
            }
            guard Int64(bytes.count) == shard.size, !verifying || Checksum.sha256Hex(bytes) == shard.sha256 else {
                return (shard, nil, "its bytes do not match the recorded SHA-256")
            }
            return (shard, bytes, nil)
        } catch ChunkStoreError.damaged {
            return (shard, nil, "the backend found its copy damaged")
        } catch {
            // A straggler cancelled because the others were enough is not a failing backend.
            if !Task.isCancelled {
                logger.warning(
                    "shard unreadable",
                    metadata: ["backend": "\(shard.location.backend)", "error": "\(error)"]
                )
            }
            return (shard, nil, nil)
        }
    }

    private func reportLost(_ chunk: ChunkRecord, _ shard: ShardRecord, reason: String) async {
        logger.warning(
            "shard lost",
            metadata: ["chunk_id": "\(chunk.id)", "index": "\(shard.index)", "reason": "\(reason)"]
        )
        try? await chunks.markLost(chunkID: chunk.id, index: shard.index, reason: reason)
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
