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
        case fetched(ShardRecord, [UInt8]?, String?)
        case hedge
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
    func decode(_ chunk: ChunkRecord, verifyingShards: Bool) async throws -> [UInt8] {
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
    func gather(_ chunk: ChunkRecord, verifying: Bool = true) async throws -> [ArraySlice<UInt8>?] {
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
    func fetch(_ shard: ShardRecord, verifying: Bool = true) async -> (ShardRecord, [UInt8]?, String?) {
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

    func reportLost(_ chunk: ChunkRecord, _ shard: ShardRecord, reason: String) async {
        logger.warning(
            "shard lost",
            metadata: ["chunk_id": "\(chunk.id)", "index": "\(shard.index)", "reason": "\(reason)"]
        )
        try? await chunks.markLost(chunkID: chunk.id, index: shard.index, reason: reason)
    }
}
