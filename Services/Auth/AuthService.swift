import Hummingbird
import ServiceLifecycle
import StrypeCore
import StrypeService

/// The auth service: accounts, tokens, groups and agent tokens.
enum AuthService {
    /// How the shared runtime starts this service.
    static let definition = ServiceDefinition(
        name: .auth,
        peers: [],
        needsMasterKey: true,
        migrations: AuthMigrations.all,
        validateEnvironment: { environment throws(ConfigError) in _ = try AuthSettings(environment: environment) },
        build: { router, dependencies in
            // Settings were validated at start; the hasher fails only when libsodium cannot start.
            let settings = (try? AuthSettings(environment: dependencies.environment)) ?? AuthSettings()
            let core = makeCore(dependencies: dependencies, settings: settings, hasher: try! Argon2idHasher())
            return addRoutes(core: core, dependencies: dependencies, to: router)
        }
    )

    /// The shared pieces of the service, from the process's clients.
    static func makeCore(dependencies: ServiceDependencies, settings: AuthSettings, hasher: any PasswordHashing)
        -> AuthCore
    {
        let client = dependencies.postgres
        let logger = dependencies.logger
        return AuthCore(
            users: PostgresUserRepository(client: client, logger: logger),
            sessions: PostgresSessionRepository(client: client, logger: logger),
            agents: PostgresAgentTokenRepository(client: client, logger: logger),
            groups: PostgresGroupRepository(client: client, logger: logger),
            invitations: PostgresInvitationRepository(client: client, logger: logger),
            hasher: hasher,
            keys: SigningKeyRing(client: client, masterKey: dependencies.config.masterKey!, logger: logger),
            redis: dependencies.redis,
            limiter: LoginRateLimiter(redis: dependencies.redis, limits: settings.loginLimits),
            serviceTokenLimiter: ServiceTokenRateLimiter(redis: dependencies.redis, limit: settings.serviceTokenLimit),
            unannounced: UnannouncedRevocations(),
            settings: settings,
            serviceSecret: dependencies.config.serviceSecret,
            logger: logger
        )
    }

    /// Adds every auth route and returns the background work: following key rotations, re-announcing revocations.
    static func addRoutes(core: AuthCore, dependencies: ServiceDependencies, to router: Router<StrypeRequestContext>)
        -> [any Service]
    {
        let verifier = dependencies.makeVerifier(keys: core.keys)
        let authentication = dependencies.authentication(verifier)
        AccountController(core: core, authentication: authentication).addRoutes(to: router)
        AdminController(core: core, authentication: authentication).addRoutes(to: router)
        AgentController(core: core, authentication: authentication).addRoutes(to: router)
        InvitationController(core: core, authentication: authentication).addRoutes(to: router)
        TokenController(core: core, authentication: authentication).addRoutes(to: router)
        return [
            SigningKeyRefresher(ring: core.keys, subscriber: dependencies.subscriber(), logger: dependencies.logger),
            RevocationReannouncer(core: core),
        ]
    }
}
