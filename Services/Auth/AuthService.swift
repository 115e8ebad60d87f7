import StrypeCore
import StrypeService

/// The auth service: accounts, tokens, groups and agent tokens.
enum AuthService {
    /// How the shared runtime starts this service.
    static let definition = ServiceDefinition(
        name: .auth,
        peers: [],
        needsMasterKey: true,
        migrations: AuthMigrations.all
    )
}
