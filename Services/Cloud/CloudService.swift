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
            _ = try environment.integer("HEALTH_PROBE_SECONDS", default: 300, in: 5...86_400)
        },
        build: { router, dependencies in
            let core = makeCore(dependencies: dependencies)
            let seconds =
                (try? dependencies.environment.integer("HEALTH_PROBE_SECONDS", default: 300, in: 5...86_400)) ?? 300
            return addRoutes(core: core, dependencies: dependencies, to: router)
                + [AccountProber(core: core, interval: .seconds(seconds))]
        }
    )

    /// The core; `quota` defaults to filesystem's ledger.
    static func makeCore(dependencies: ServiceDependencies, quota: (any StorageQuota)? = nil) -> CloudCore {
        CloudCore(
            accounts: PostgresAccountRepository(client: dependencies.postgres, logger: dependencies.logger),
            secrets: SecretBox(masterKey: dependencies.config.masterKey!.bytes, purpose: "cloud.account-secrets"),
            http: dependencies.http,
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
