import StrypeCore
import StrypeService

/// The filesystem service: the file hierarchy over chunks.
enum FilesystemService {
    /// How the shared runtime starts this service.
    static let definition = ServiceDefinition(
        name: .filesystem,
        peers: [.auth, .chunk],
        needsMasterKey: false,
        migrations: FilesystemMigrations.all
    )
}
