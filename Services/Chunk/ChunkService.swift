import Foundation
import Hummingbird
import ServiceLifecycle
import StrypeCodec
import StrypeCore
import StrypeService

/// The chunk service: encryption, replication and erasure coding of chunks.
enum ChunkService {
    /// How the shared runtime starts this service.
    static let definition = ServiceDefinition(
        name: .chunk,
        peers: [.auth, .cloud, .array, .filesystem],
        needsMasterKey: true,
        keepsLargeBuffers: true,
        migrations: ChunkMigrations.all,
        validateEnvironment: { environment throws(ConfigError) in
            _ = try repairSettings(environment)
            _ = try storeSlots(environment)
            _ = try readSlots(environment)
        },
        build: { router, dependencies in
            let core = makeCore(dependencies: dependencies)
            let authentication = dependencies.authentication(dependencies.makeVerifier())
            ChunkController(core: core, authentication: authentication).addRoutes(to: router)
            var workers: [any Service] = [DeletionWorker(core: core)]
            if let settings = try? repairSettings(dependencies.environment) {
                workers.append(RepairWorker(core: core, redis: dependencies.redis, settings: settings))
            }
            return workers
        }
    )

    /// `REPAIR_SCAN_SECONDS` (60), `MEMBER_GRACE_SECONDS` (3600, for members offline and accounts unhealthy),
    /// `SCRUB_BATCH` (20 shards per scan), `SCRUB_FULL_READ_EVERY` (60 scans: cloud shards read back in full).
    static func repairSettings(_ environment: EnvironmentReader) throws(ConfigError) -> RepairWorker.Settings {
        RepairWorker.Settings(
            scanInterval: .seconds(try environment.integer("REPAIR_SCAN_SECONDS", default: 60, in: 1...86_400)),
            memberGrace: .seconds(try environment.integer("MEMBER_GRACE_SECONDS", default: 3600, in: 0...2_592_000)),
            scrubBatch: try environment.integer("SCRUB_BATCH", default: 20, in: 0...10_000),
            fullReadEvery: try environment.integer("SCRUB_FULL_READ_EVERY", default: 60, in: 0...1_000_000),
            consumer: "chunk-\(UUID().uuidString.prefix(8).lowercased())"
        )
    }

    /// `CHUNK_STORE_SLOTS` (4): chunks stored at once by one instance.
    static func storeSlots(_ environment: EnvironmentReader) throws(ConfigError) -> Int {
        try environment.integer("CHUNK_STORE_SLOTS", default: 4, in: 1...256)
    }

    /// `CHUNK_READ_SLOTS` (6): chunks read at once by one instance (a download reads four ahead).
    static func readSlots(_ environment: EnvironmentReader) throws(ConfigError) -> Int {
        try environment.integer("CHUNK_READ_SLOTS", default: 6, in: 1...256)
    }

    /// The core on the service's peers; `quota` defaults to filesystem's ledger.
    static func makeCore(dependencies: ServiceDependencies, quota: (any StorageQuota)? = nil) -> ChunkCore {
        let auth = dependencies.client(for: .auth)
        let tokens = ServiceTokenProvider(auth: auth, service: "chunk", secret: dependencies.config.serviceSecret)
        return ChunkCore(
            chunks: PostgresChunkRepository(client: dependencies.postgres, logger: dependencies.logger),
            shards: ShardStore(
                cloud: dependencies.client(for: .cloud),
                array: dependencies.client(for: .array),
                tokens: tokens
            ),
            userKeys: SecretBox(masterKey: dependencies.config.masterKey!.bytes, purpose: "chunk.user-keys"),
            metrics: ChunkMetrics(registry: dependencies.metrics),
            logger: dependencies.logger,
            storeSlots: AsyncLock(permits: (try? storeSlots(dependencies.environment)) ?? 4),
            readSlots: AsyncLock(permits: (try? readSlots(dependencies.environment)) ?? 6),
            quota: quota ?? FilesystemQuota(filesystem: dependencies.client(for: .filesystem), tokens: tokens)
        )
    }
}

/// Retries the shard deletions backends refused or missed, until each is confirmed.
struct DeletionWorker: Service {
    let core: ChunkCore

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if let due = try? await core.chunks.pendingDeletions(limit: 100), !due.isEmpty {
                    await core.drain(due)
                }
                try? await Task.sleep(for: .seconds(5))
            }
        }
    }
}
