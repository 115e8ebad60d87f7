import Foundation
import Logging
import ServiceLifecycle
import StrypeService

/// Finds chunks below their shard count and restores them. Every instance scans (members gone past the grace
/// period, a scrub of the shards audited longest ago, chunks with lost shards) and queues what it finds on a Redis
/// Stream; a consumer group shares the repairs among instances, and entries a crashed instance left are claimed
/// again.
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
        /// Every this many scans the scrub reads cloud shards back in full instead of a HEAD (0: never).
        var fullReadEvery: Int
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
        var number = 0
        while !Task.isCancelled {
            number += 1
            do {
                try await scan(fullRead: settings.fullReadEvery > 0 && number % settings.fullReadEvery == 0)
            } catch {
                core.logger.warning("repair scan failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: settings.scanInterval)
        }
    }

    /// One pass: shards on backends that are gone (removed, or offline or unhealthy past the grace period) and
    /// shards failing a scrub are marked lost; chunks with lost shards are queued once (a marker keeps several
    /// instances from queuing the same chunk, and holds back a chunk whose repair failed, with growing delays).
    func scan(fullRead: Bool) async throws {
        try await markGoneBackends()
        if settings.scrubBatch > 0 {
            try await scrub(try await core.chunks.shardsDueForAudit(limit: settings.scrubBatch), fullRead: fullRead)
        }
        for chunkID in try await core.chunks.chunksNeedingRepair(limit: 500) {
            let marker = Self.queuedMarker(chunkID)
            guard try await redis.set(marker, "1", expiresIn: settings.scanInterval * 5, onlyIfAbsent: true) else {
                continue
            }
            try await redis.streamAdd(Self.stream, ["chunk": chunkID], maxLength: 100_000)
        }
        core.metrics.refresh(try await core.chunks.statistics(), queueDepth: try await redis.streamLength(Self.stream))
    }

    /// Repairs the chunk one stream entry names and acknowledges the entry.
    private func repair(_ entry: StreamEntry) async throws {
        if let chunkID = entry.fields["chunk"] {
            var stillLost = 1
            do {
                stillLost = try await core.repair(chunkID)
            } catch {
                core.logger.warning("repair failed", metadata: ["chunk_id": "\(chunkID)", "error": "\(error)"])
            }
            try? await settle(chunkID, stillLost: stillLost)
        }
        // A chunk that could not be repaired now is found again by a later scan.
        try await redis.streamAcknowledge(Self.stream, group: Self.group, ids: [entry.id])
    }

    /// Repairs at once per instance: a repair holds one chunk's ciphertext and its shards (three times a chunk), so
    /// four keep memory bounded while a lost member's chunks come back four times as fast as one by one.
    static let parallelRepairs = 4

    /// Audits the sample a few shards at a time (each audit is a round trip to a member or provider that hashes the
    /// shard, so one at a time a scan of hundreds took minutes) and marks lost the shards that fail.
    private func scrub(_ sample: [(chunkID: String, shard: ShardRecord)], fullRead: Bool) async throws {
        try await withThrowingTaskGroup(of: (chunkID: String, index: Int)?.self) { group in
            func markFailed(_ failed: (chunkID: String, index: Int)?) async throws {
                guard let failed else { return }
                try await core.chunks.markLost(chunkID: failed.chunkID, index: failed.index, reason: "failed a scrub")
            }
            for (position, (chunkID, shard)) in sample.enumerated() {
                if position >= Self.parallelAudits { try await markFailed(try await group.next() ?? nil) }
                group.addTask {
                    try await core.scrub(shard, fullRead: fullRead) == false ? (chunkID, shard.index) : nil
                }
            }
            for try await failed in group { try await markFailed(failed) }
        }
    }

    static let parallelAudits = 8

    /// Marks lost every shard on a backend `LostBackends` judges gone. Nothing is judged when either list cannot
    /// be had: a service that does not answer says nothing about its backends.
    private func markGoneBackends() async throws {
        async let members = core.shards.allMembers()
        async let accounts = core.shards.allAccounts()
        let (memberList, accountList) = try await (members, accounts)
        let now = Date()
        let known = try await unhealthySince()
        let tracked = LostBackends.track(accountList, known: known, now: now)
        if tracked != known {
            let encoded = try JSONEncoder().encode(tracked.mapValues(\.timeIntervalSince1970))
            try await redis.set(Self.unhealthyKey, String(decoding: encoded, as: UTF8.self))
        }
        let rules = LostBackends(
            members: memberList,
            accounts: accountList,
            unhealthySince: tracked,
            now: now,
            grace: Double(settings.memberGrace.components.seconds)
        )
        for (backend, reason) in rules.judge(try await core.chunks.backendsInUse()) {
            let marked = try await core.chunks.markLost(on: backend, reason: reason)
            if marked > 0 {
                core.logger.warning(
                    "backend gone; shards lost",
                    metadata: ["backend": "\(backend)", "reason": "\(reason)", "shards": "\(marked)"]
                )
            }
        }
    }

    private func unhealthySince() async throws -> [UUID: Date] {
        guard let text = try await redis.get(Self.unhealthyKey),
            let seconds = try? JSONDecoder().decode([UUID: Double].self, from: Data(text.utf8))
        else { return [:] }
        return seconds.mapValues { Date(timeIntervalSince1970: $0) }
    }

    /// After a repair: a whole chunk's marker goes; a chunk still missing shards keeps its marker for a delay that
    /// doubles with each failed attempt (up to an hour), so an unrepairable chunk does not cost a repair per scan.
    private func settle(_ chunkID: String, stillLost: Int) async throws {
        let attempts = "chunk:repair:attempts:\(chunkID)"
        guard stillLost > 0 else {
            _ = try await redis.delete(Self.queuedMarker(chunkID), attempts)
            return
        }
        let failures = try await redis.increment(attempts)
        _ = try await redis.expire(attempts, in: .seconds(86_400))
        let delay = min(settings.scanInterval * (1 << min(failures, 12)), .seconds(3600))
        try await redis.set(Self.queuedMarker(chunkID), "1", expiresIn: delay)
    }

    static func queuedMarker(_ chunkID: String) -> String { "chunk:repair:queued:\(chunkID)" }
    static let unhealthyKey = "chunk:accounts-unhealthy-since"

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
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (position, entry) in (stale + fresh).enumerated() {
                        if position >= Self.parallelRepairs { try await group.next() }
                        group.addTask { try await repair(entry) }
                    }
                    try await group.waitForAll()
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
