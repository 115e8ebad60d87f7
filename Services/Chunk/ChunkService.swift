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
        settings: { config throws(ConfigError) in try ChunkSettings(config.environment) },
        build: { dependencies, settings in
            let core = makeCore(dependencies: dependencies, settings: settings)
            return ServiceParts(
                controllers: [ChunkController(core: core)],
                authentication: dependencies.authentication(dependencies.makeVerifier()),
                services: [
                    DeletionWorker(core: core),
                    RepairWorker(core: core, redis: dependencies.redis, settings: settings.repair),
                ]
            )
        }
    )

    /// The core on the service's peers; `quota` defaults to filesystem's ledger.
    static func makeCore(
        dependencies: ServiceDependencies,
        settings: ChunkSettings = ChunkSettings(),
        quota: (any StorageQuota)? = nil
    ) -> ChunkCore {
        let auth = dependencies.client(for: .auth)
        let tokens = ServiceTokenProvider(auth: auth, service: "chunk", secret: dependencies.config.serviceSecret)
        return ChunkCore(
            chunks: ChunkRepository(client: dependencies.postgres, logger: dependencies.logger),
            shards: ShardStore(
                cloud: dependencies.client(for: .cloud),
                array: dependencies.client(for: .array),
                tokens: tokens
            ),
            userKeys: SecretBox(masterKey: dependencies.config.masterKey!.bytes, purpose: "chunk.user-keys"),
            metrics: ChunkMetrics(registry: dependencies.metrics),
            logger: dependencies.logger,
            storeSlots: AsyncLock(permits: settings.storeSlots),
            readSlots: AsyncLock(permits: settings.readSlots),
            quota: quota ?? FilesystemQuota(filesystem: dependencies.client(for: .filesystem), tokens: tokens)
        )
    }
}

/// Retries the shard deletions backends refused or missed, until each is confirmed.
struct DeletionWorker: Service {
    let core: ChunkCore

    func run() async throws {
        await repeatUntilShutdown(every: .seconds(5)) {
            if let due = try? await core.chunks.pendingDeletions(limit: 100), !due.isEmpty { await core.drain(due) }
        }
    }
}
