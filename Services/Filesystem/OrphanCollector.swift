import Foundation
import Logging
import ServiceLifecycle
import StrypeService

/// Deletes loose chunks that are due: those of uploads that failed, were abandoned or died with their service, of
/// expired tus uploads and multipart sessions, and of purged versions. A chunk that cannot be deleted now is retried later, backing off.
struct OrphanCollector: Service {
    let core: FilesystemCore
    let logger: Logger

    func run() async throws {
        await repeatUntilShutdown(every: core.settings.orphanScan) { await collect() }
    }

    /// One pass: expired uploads let go of their chunks, then what is due is deleted.
    func collect() async {
        for id in (try? await core.tus.store.expired(limit: 100)) ?? [] {
            try? await core.tus.store.remove(id)
        }
        for id in (try? await core.sessions.store.expired(limit: 100)) ?? [] {
            try? await core.sessions.store.remove(id)
        }
        guard let due = try? await core.nodes.dueLooseChunks(limit: 500), !due.isEmpty else { return }
        var collected = 0
        for (chunkID, owner) in due {
            do {
                if try await core.chunks.delete(chunkID, owner: owner) {
                    try await core.nodes.looseChunkCollected(chunkID)
                    collected += 1
                } else {
                    try await core.nodes.looseChunkFailed(chunkID)
                }
            } catch {
                try? await core.nodes.looseChunkFailed(chunkID)
            }
        }
        logger.info("orphan chunks collected", metadata: ["collected": "\(collected)", "due": "\(due.count)"])
    }
}
