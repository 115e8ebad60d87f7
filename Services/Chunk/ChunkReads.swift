import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat
import StrypeCodec
import StrypeCore
import StrypeService

/// Reading a chunk: the fewest shards fetched at once, a spare beside a slow one, decoded and opened.
extension ChunkCore {
    /// What `gather` waits for: a shard fetched (or not), or the moment to fetch a spare beside a slow one.
    private enum GatherEvent: Sendable {
        case fetched(ShardRecord, ByteBuffer?, String?)
        case hedge
    }

    /// The plaintext of a chunk: shards are fetched (the fewest needed first) and decoded; a bad or missing shard is
    /// marked lost and another is tried. An encrypted chunk's GCM tag authenticates all of it, so its shards are
    /// hashed only when that check fails (then each is checked against its SHA-256 and the chunk read again); an
    /// unencrypted chunk's shards are always hashed.
    func read(_ chunk: ChunkRecord) async throws -> ByteBuffer {
        guard chunk.encryption == .aes256gcm else { return try await sealed(chunk, verifyingShards: true) }
        guard let wrapped = chunk.wrappedKey else {
            throw ChunkStoreError.inconsistent("encrypted chunk without a key")
        }
        let dataKey = try ChunkCipher.unwrap(
            wrapped,
            keyEncryptionKey: try await keyEncryptionKey(chunk.ownerID),
            chunkID: chunk.id
        )
        // Only a failed open is tried again with every shard checked; too few shards is an answer already.
        let fetched = try await sealed(chunk, verifyingShards: false)
        if let plaintext = try? Self.open(consume fetched, dataKey, chunk.id) { return plaintext }
        logger.warning("chunk failed authentication, checking each shard", metadata: ["chunk_id": "\(chunk.id)"])
        do {
            return try Self.open(try await sealed(chunk, verifyingShards: true), dataKey, chunk.id)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.serviceUnavailable, code: "data_unavailable", message: "the chunk failed authentication")
        }
    }

    /// The plaintext of `sealed`, opened where it lies: its readable bytes become the plaintext.
    private static func open(_ sealed: consuming ByteBuffer, _ dataKey: [UInt8], _ chunkID: String) throws
        -> ByteBuffer
    {
        // Consumed, so the buffer is not shared and opening it in place copies nothing.
        let count = try sealed.withUnsafeMutableReadableBytes {
            try ChunkCipher.openInPlace($0, dataKey: dataKey, chunkID: chunkID)
        }
        sealed.moveReaderIndex(forwardBy: ChunkCipher.nonceBytes)
        sealed.moveWriterIndex(to: sealed.readerIndex + count)
        return sealed
    }

    /// The sealed bytes of a chunk, from enough of its shards: a raid1 replica as it arrived, all rs data shards
    /// joined in order; only when one is missing does the codec rebuild it.
    func sealed(_ chunk: ChunkRecord, verifyingShards: Bool) async throws -> ByteBuffer {
        let shards = try await gather(chunk, verifying: verifyingShards)
        let started = ContinuousClock.now
        defer { metrics.codec("decode", bytes: Int(chunk.size), elapsed: ContinuousClock.now - started) }
        let length = Int(chunk.sealedSize)
        let needed = chunk.durability.shardsNeeded
        if case .replicas = chunk.durability,
            let replica = shards.lazy.compactMap({ $0 }).first(where: { $0.readableBytes == length })
        {
            return replica
        }
        let codec = try ShardCodec(chunk.durability)
        let data = shards.prefix(needed)
        let size = codec.shardSize(length: length)
        if case .erasure = chunk.durability, data.allSatisfy({ $0?.readableBytes == size }) {
            var joined = ByteBufferAllocator().buffer(capacity: length)
            for case var shard? in data where joined.readableBytes < length {
                var piece = shard.readSlice(length: min(size, length - joined.readableBytes))!
                joined.writeBuffer(&piece)
            }
            return joined
        }
        return ByteBuffer(bytes: try codec.decode(Self.slices(shards), length: length))
    }

    /// Shards as the codec takes them.
    static func slices(_ shards: [ByteBuffer?]) -> [ArraySlice<UInt8>?] {
        shards.map { $0.map { Array($0.readableBytesView)[...] } }
    }

    /// Enough intact shards to decode, one slot per index (nil where not fetched or bad); 503 when too few. Without
    /// `verifying`, a shard of the right size is taken as intact (the caller authenticates the result).
    ///
    /// The fewest shards needed are fetched at once, in `readOrder`; a failed one is replaced at once, and when all
    /// but the last have arrived, the last gets twice as long as the others took (at least `hedgeFloor`) before one
    /// more shard is fetched beside it (long-tail cutting): a slow member costs a chunk little, and is read last for a
    /// while after.
    func gather(_ chunk: ChunkRecord, verifying: Bool = true) async throws -> [ByteBuffer?] {
        let needed = chunk.durability.shardsNeeded
        var slots: [ByteBuffer?] = Array(repeating: nil, count: chunk.durability.shardCount)
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
                        slots[shard.index] = bytes
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

    /// One shard's bytes if intact (when `verifying`, checked against its SHA-256; else only its size); otherwise
    /// why not (nil problem: the backend is unreachable right now).
    func fetch(_ shard: ShardRecord, verifying: Bool = true) async -> (ShardRecord, ByteBuffer?, String?) {
        do {
            guard let bytes = try await shards.get(shard.location, expectedSize: shard.size) else {
                return (shard, nil, "the backend no longer has it")
            }
            guard Int64(bytes.readableBytes) == shard.size,
                !verifying || Checksum.sha256Hex(bytes.readableBytesView) == shard.sha256
            else {
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

    func reportLost(_ chunk: ChunkRecord, _ shard: ShardRecord, reason: String) async {
        logger.warning(
            "shard lost",
            metadata: ["chunk_id": "\(chunk.id)", "index": "\(shard.index)", "reason": "\(reason)"]
        )
        try? await chunks.markLost(chunkID: chunk.id, index: shard.index, reason: reason)
    }
}
