import StrypeCore
import StrypeService

/// The array service: desktop agents as storage members.
enum ArrayService {
    /// How the shared runtime starts this service.
    static let definition = ServiceDefinition(
        name: .array,
        peers: [.auth],
        needsMasterKey: false,
        migrations: ArrayMigrations.all
    )
}
