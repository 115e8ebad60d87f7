import Foundation
import Logging
import ServiceLifecycle
import StrypeService

/// Finds chunks below their shard count and restores them. Every instance scans (members gone past the grace
/// period, a scrub of random shards, chunks with lost shards) and queues what it finds on a Redis Stream; a
/// consumer group shares the repairs among instances, and entries a crashed instance left are claimed again.
struct RepairWorker: Service {
    let core: ChunkCore
    let redis: RedisClient
    let settings: Settings

    /// How the worker paces itself.
    struct Settings: Sendable {
        var scanInterval: Duration
        /// How long a member may be offline before its shards count as lost.
        var memberGrace: Duration
        /// Shards audited per scan.
        var scrubBatch: Int
        /// This instance's name in the consumer group.
        var consumer: String
    }

    static let stream = "chunk:repair"
    static let group = "repairers"

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await scanLoop() }
                group.addTask { await repairLoop() }
            }
        }
    }

    private func scanLoop() async {
        while !Task.isCancelled {
            do {
                try await scan()
            } catch {
                core.logger.warning("repair scan failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: settings.scanInterval)
        }
    }

    /// One pass: shards of long-gone members and shards failing an audit are marked lost; chunks with lost shards
    /// are queued once (a short-lived marker keeps several instances from queuing the same chunk).
    func scan() async throws {
        let cutoff = Date().addingTimeInterval(-Double(settings.memberGrace.components.seconds))
        for member in try await core.shards.allMembers()
        where !member.online && (member.lastSeen ?? .distantPast) < cutoff {
            let marked = try await core.chunks.markLost(
                on: BackendRef(kind: .array, id: member.id),
                reason: "member offline past its grace period"
            )
            if marked > 0 {
                core.logger.warning(
                    "member gone; shards lost",
                    metadata: ["member_id": "\(member.id)", "shards": "\(marked)"]
                )
            }
        }
        if settings.scrubBatch > 0 {
            for (chunkID, shard) in try await core.chunks.sampleShards(limit: settings.scrubBatch) {
                if try await core.shards.audit(shard) == false {
                    try await core.chunks.markLost(chunkID: chunkID, index: shard.index, reason: "failed an audit")
                }
            }
        }
        for chunkID in try await core.chunks.chunksNeedingRepair(limit: 500) {
            let marker = "chunk:repair:queued:\(chunkID)"
            guard try await redis.set(marker, "1", expiresIn: settings.scanInterval * 5, onlyIfAbsent: true) else {
                continue
            }
            try await redis.streamAdd(Self.stream, ["chunk": chunkID], maxLength: 100_000)
        }
        core.metrics.refresh(try await core.chunks.statistics(), queueDepth: try await redis.streamLength(Self.stream))
    }

    private func repairLoop() async {
        while !Task.isCancelled {
            do {
                try await redis.streamCreateGroup(Self.stream, group: Self.group, startAt: "0")
                break
            } catch {
                try? await Task.sleep(for: .seconds(1))
            }
        }
        while !Task.isCancelled {
            do {
                let stale = try await redis.streamAutoClaim(
                    Self.stream,
                    group: Self.group,
                    consumer: settings.consumer,
                    minIdle: .seconds(60)
                )
                let fresh = try await redis.streamReadGroup(
                    Self.stream,
                    group: Self.group,
                    consumer: settings.consumer,
                    block: .seconds(2)
                )
                for entry in stale + fresh {
                    if let chunkID = entry.fields["chunk"] {
                        do {
                            _ = try await core.repair(chunkID)
                        } catch {
                            core.logger.warning(
                                "repair failed",
                                metadata: ["chunk_id": "\(chunkID)", "error": "\(error)"]
                            )
                        }
                        _ = try? await redis.delete("chunk:repair:queued:\(chunkID)")
                    }
                    // A chunk that could not be repaired now is found again by the next scan.
                    try await redis.streamAcknowledge(Self.stream, group: Self.group, ids: [entry.id])
                }
            } catch is CancellationError {
                return
            } catch {
                core.logger.warning("repair queue unavailable", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
