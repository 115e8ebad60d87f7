import StrypeCore
import StrypeService

/// The chunk service: encryption, replication and erasure coding of chunks.
enum ChunkService {
    /// How the shared runtime starts this service.
    static let definition = ServiceDefinition(
        name: .chunk,
        peers: [.auth, .cloud, .array],
        needsMasterKey: true,
        migrations: ChunkMigrations.all
    )
}
