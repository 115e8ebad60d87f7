import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat
import StrypeCodec
import StrypeCore
import StrypeService

/// Checking shards and rebuilding the lost ones from the others.
extension ChunkCore {
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
        let sealed = try codec.decode(Self.slices(try await gather(chunk)), length: Int(chunk.sealedSize))
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
}
