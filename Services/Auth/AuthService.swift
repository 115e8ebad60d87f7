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
        settings: { config throws(ConfigError) in try AuthSettings(environment: config.environment) },
        build: { dependencies, settings in
            // The hasher fails only when libsodium cannot start.
            let core = makeCore(dependencies: dependencies, settings: settings, hasher: try! Argon2idHasher())
            return parts(core: core, dependencies: dependencies)
        }
    )

    /// The shared pieces of the service, from the process's clients.
    static func makeCore(dependencies: ServiceDependencies, settings: AuthSettings, hasher: Argon2idHasher)
        -> AuthCore
    {
        let client = dependencies.postgres
        let logger = dependencies.logger
        return AuthCore(
            users: UserRepository(client: client, logger: logger),
            sessions: SessionRepository(client: client, logger: logger),
            agents: AgentTokenRepository(client: client, logger: logger),
            groups: GroupRepository(client: client, logger: logger),
            invitations: InvitationRepository(client: client, logger: logger),
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

    /// One controller per URL prefix, and the background work: following key rotations, re-announcing revocations.
    static func parts(core: AuthCore, dependencies: ServiceDependencies) -> ServiceParts {
        let verifier = dependencies.makeVerifier(keys: core.keys)
        return ServiceParts(
            controllers: [
                SignInController(core: core, verifier: verifier),
                MeController(core: core),
                UsersController(core: core),
                GroupsController(core: core),
                LookupController(core: core),
                InvitationsController(core: core),
                AgentsController(core: core),
                KeysController(core: core),
                TokensController(core: core, verifier: verifier),
            ],
            authentication: dependencies.authentication(verifier),
            services: [
                SigningKeyRefresher(
                    ring: core.keys,
                    subscriber: dependencies.subscriber(),
                    logger: dependencies.logger
                ),
                RevocationReannouncer(core: core),
            ]
        )
    }
}
