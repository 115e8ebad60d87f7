import Foundation
import StrypeService

/// Chunk's own settings, parsed once at start.
struct ChunkSettings: Sendable {
    var repair = RepairWorker.Settings(
        scanInterval: .seconds(60),
        memberGrace: .seconds(3600),
        scrubBatch: 20,
        fullReadEvery: 60,
        consumer: "chunk-\(UUID().uuidString.prefix(8).lowercased())"
    )
    /// Chunks stored at once by one instance.
    var storeSlots = 4
    /// Chunks read at once by one instance (a download reads four ahead).
    var readSlots = 6

    init() {}

    /// `REPAIR_SCAN_SECONDS` (60), `MEMBER_GRACE_SECONDS` (3600, for members offline and accounts unhealthy),
    /// `SCRUB_BATCH` (20 shards per scan), `SCRUB_FULL_READ_EVERY` (60 scans: cloud shards read back in full),
    /// `CHUNK_STORE_SLOTS` (4), `CHUNK_READ_SLOTS` (6).
    init(_ environment: EnvironmentReader) throws(ConfigError) {
        repair.scanInterval = .seconds(try environment.integer("REPAIR_SCAN_SECONDS", default: 60, in: 1...86_400))
        repair.memberGrace = .seconds(
            try environment.integer("MEMBER_GRACE_SECONDS", default: 3600, in: 0...2_592_000)
        )
        repair.scrubBatch = try environment.integer("SCRUB_BATCH", default: 20, in: 0...10_000)
        repair.fullReadEvery = try environment.integer("SCRUB_FULL_READ_EVERY", default: 60, in: 0...1_000_000)
        storeSlots = try environment.integer("CHUNK_STORE_SLOTS", default: 4, in: 1...256)
        readSlots = try environment.integer("CHUNK_READ_SLOTS", default: 6, in: 1...256)
    }
}
