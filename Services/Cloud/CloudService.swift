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
        settings: { config throws(ConfigError) in try CloudSettings(config.environment) },
        build: { dependencies, settings in
            let core = makeCore(dependencies: dependencies, settings: settings)
            return ServiceParts(
                controllers: controllers(core: core),
                authentication: dependencies.authentication(dependencies.makeVerifier()),
                // A service group stops its services last to first: the connections close after the prober stopped.
                services: [
                    core.connections, AccountProber(core: core, interval: .seconds(settings.healthProbeSeconds)),
                ]
            )
        }
    )

    /// The core from the shared dependencies and cloud's settings; `quota` defaults to filesystem's ledger.
    static func makeCore(
        dependencies: ServiceDependencies,
        settings: CloudSettings,
        quota: (any StorageQuota)? = nil
    ) -> CloudCore {
        CloudCore(
            accounts: AccountRepository(client: dependencies.postgres, logger: dependencies.logger),
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

    /// One controller per URL prefix.
    static func controllers(core: CloudCore) -> [any RouteController] {
        [
            AccountsController(core: core),
            ObjectsController(objects: AccountObjects(core: core)),
            SeedController(backends: AccountSeeds(core: core)),
        ]
    }
}
