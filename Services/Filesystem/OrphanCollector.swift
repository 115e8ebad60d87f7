import Foundation
import Logging
import ServiceLifecycle
import StrypeService

/// Deletes loose chunks that are due: those of uploads that failed, were abandoned or died with their service, of
/// expired tus uploads and multipart sessions, and of purged versions. A chunk that cannot be deleted now is retried later, backing off.
struct OrphanCollector: Service {
    let nodes: any NodeRepository
    let tus: any TusRepository
    let sessions: UploadSessionRepository
    let chunks: ChunkClient
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await collect()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One pass: expired uploads let go of their chunks, then what is due is deleted.
    func collect() async {
        for id in (try? await tus.expired(limit: 100)) ?? [] {
            try? await tus.remove(id)
        }
        for id in (try? await sessions.expired(limit: 100)) ?? [] {
            try? await sessions.remove(id)
        }
        guard let due = try? await nodes.dueLooseChunks(limit: 500), !due.isEmpty else { return }
        var collected = 0
        for (chunkID, owner) in due {
            do {
                if try await chunks.delete(chunkID, owner: owner) {
                    try await nodes.looseChunkCollected(chunkID)
                    collected += 1
                } else {
                    try await nodes.looseChunkFailed(chunkID)
                }
            } catch {
                try? await nodes.looseChunkFailed(chunkID)
            }
        }
        logger.info("orphan chunks collected", metadata: ["collected": "\(collected)", "due": "\(due.count)"])
    }
}
