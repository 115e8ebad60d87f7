import StrypeCore
import StrypeService

/// The cloud service: provider accounts and object I/O on S3-compatible storage and local directories.
enum CloudService {
    /// How the shared runtime starts this service.
    static let definition = ServiceDefinition(
        name: .cloud,
        peers: [.auth],
        needsMasterKey: true,
        migrations: CloudMigrations.all
    )
}
