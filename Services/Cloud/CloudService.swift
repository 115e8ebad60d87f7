import Hummingbird
import NIOPosix
import ServiceLifecycle
import StrypeCodec
import StrypeCore
import StrypeService

/// The cloud service: provider accounts and object I/O on S3-compatible storage and local directories.
enum CloudService {
    /// How the shared runtime starts this service.
    static let definition = ServiceDefinition(
        name: .cloud,
        peers: [.auth, .filesystem],
        needsMasterKey: true,
        migrations: CloudMigrations.all,
        validateEnvironment: { environment throws(ConfigError) in
            _ = try CloudSettings(environment)
        },
        build: { router, dependencies in
            // Validated before build runs; the fallback (no roots, no private endpoints) is the safe one anyway.
            let settings = (try? CloudSettings(dependencies.environment)) ?? CloudSettings()
            let core = makeCore(dependencies: dependencies, settings: settings)
            // A service group stops its services last to first: the connections close after the prober stopped.
            let background: [any Service] = [
                core.connections, AccountProber(core: core, interval: .seconds(settings.healthProbeSeconds)),
            ]
            return addRoutes(core: core, dependencies: dependencies, to: router) + background
        }
    )

    /// The core from the shared dependencies and cloud's settings (read from the environment when not given);
    /// `quota` defaults to filesystem's ledger.
    static func makeCore(
        dependencies: ServiceDependencies,
        settings: CloudSettings? = nil,
        quota: (any StorageQuota)? = nil
    ) -> CloudCore {
        let settings = settings ?? (try? CloudSettings(dependencies.environment)) ?? CloudSettings()
        return CloudCore(
            accounts: PostgresAccountRepository(client: dependencies.postgres, logger: dependencies.logger),
            secrets: SecretBox(masterKey: dependencies.config.masterKey!.bytes, purpose: "cloud.account-secrets"),
            connections: S3Connections(
                policy: settings.endpoints,
                threadPool: NIOThreadPool.singleton,
                logger: dependencies.logger
            ),
            localRoots: settings.localRoots,
            fileThreads: NIOThreadPool.singleton,
            redis: dependencies.redis,
            logger: dependencies.logger,
            quota: quota
                ?? FilesystemQuota(
                    filesystem: dependencies.client(for: .filesystem),
                    tokens: ServiceTokenProvider(
                        auth: dependencies.client(for: .auth),
                        service: "cloud",
                        secret: dependencies.config.serviceSecret
                    )
                )
        )
    }

    /// Adds cloud's routes; `verifier` defaults to auth's JWKS.
    static func addRoutes(
        core: CloudCore,
        dependencies: ServiceDependencies,
        verifier: AccessTokenVerifier? = nil,
        to router: Router<StrypeRequestContext>
    ) -> [any Service] {
        let authentication = dependencies.authentication(verifier ?? dependencies.makeVerifier())
        AccountController(core: core, authentication: authentication).addRoutes(to: router)
        ObjectController(core: core, authentication: authentication).addRoutes(to: router)
        SeedController(core: core, authentication: authentication).addRoutes(to: router)
        return []
    }
}
