import Crypto
import Foundation
import StrypeCodec
import StrypeCore
import StrypeService

/// The filesystem service: the file hierarchy over chunks.
enum FilesystemService {
    /// How the shared runtime starts this service.
    static let definition = ServiceDefinition(
        name: .filesystem,
        peers: [.auth, .chunk],
        needsMasterKey: true,
        keepsLargeBuffers: true,
        migrations: FilesystemMigrations.all,
        settings: { config throws(ConfigError) in try FilesystemSettings(config.environment) },
        build: { dependencies, settings in
            let core = makeCore(dependencies: dependencies, settings: settings)
            let verifier = dependencies.makeVerifier()
            return ServiceParts(
                controllers: controllers(
                    core: core,
                    services: dependencies.authentication(verifier, scopes: [Scope.service]),
                    ledger: PostgresQuotaLedger(client: dependencies.postgres, logger: dependencies.logger),
                    partSigningKey: SymmetricKey(
                        data: SHA256.hash(
                            data: Array("cloudstrype.upload-parts:\(dependencies.config.serviceSecret.value)".utf8)
                        )
                    )
                ),
                authentication: dependencies.authentication(verifier, scopes: [Scope.user]),
                services: [OrphanCollector(core: core, logger: dependencies.logger)]
            )
        }
    )

    /// The core on the process's clients; a test gives its own tree, settings, grants and directory.
    static func makeCore(
        dependencies: ServiceDependencies,
        settings: FilesystemSettings,
        nodes: (any NodeRepository)? = nil,
        userSettings: (any UserSettingsRepository)? = nil,
        grants: (any GrantRepository)? = nil,
        directory: (any GranteeDirectory)? = nil
    ) -> FilesystemCore {
        let (postgres, logger) = (dependencies.postgres, dependencies.logger)
        let nodes =
            nodes ?? PostgresNodeRepository(client: postgres, logger: logger, defaultQuota: settings.defaultQuota)
        let tokens = ServiceTokenProvider(
            auth: dependencies.client(for: .auth),
            service: "filesystem",
            secret: dependencies.config.serviceSecret
        )
        let chunks = ChunkClient(chunk: dependencies.client(for: .chunk), tokens: tokens, logger: logger)
        let grants = grants ?? PostgresGrantRepository(client: postgres, logger: logger)
        let directory = directory ?? AuthGranteeDirectory(auth: dependencies.client(for: .auth), tokens: tokens)
        return FilesystemCore(
            nodes: nodes,
            userSettings: userSettings ?? PostgresUserSettingsRepository(client: postgres, logger: logger),
            access: NodeAccess(nodes: nodes, grants: grants, directory: directory),
            transfers: Transfers(
                nodes: nodes,
                chunks: chunks,
                sealer: InlineSealer(
                    nodes: nodes,
                    userKeys: SecretBox(
                        masterKey: dependencies.config.masterKey!.bytes,
                        purpose: "filesystem.user-keys"
                    ),
                    limit: settings.inlineMaxBytes
                ),
                chunkSize: settings.chunkSize,
                window: settings.window,
                readAheadBytes: settings.readAheadBytes,
                orphanAge: Double(settings.orphanAge.components.seconds)
            ),
            chunks: chunks,
            grants: grants,
            directory: directory,
            links: LinkRepository(client: postgres, logger: logger),
            tus: TusRepository(client: postgres, logger: logger),
            sessions: UploadSessionRepository(client: postgres, logger: logger),
            redis: dependencies.redis,
            settings: settings
        )
    }

    /// One controller per URL prefix; `services` admits service tokens (the usage ledger), the service's own
    /// authentication users.
    static func controllers(
        core: FilesystemCore,
        services: AuthenticationMiddleware,
        ledger: PostgresQuotaLedger,
        partSigningKey: SymmetricKey
    ) -> [any RouteController] {
        [
            DataController(core: core),
            InfoController(core: core),
            VersionsController(core: core),
            GrantsController(core: core),
            LinksController(core: core),
            DownloadsController(core: core),
            DirsController(core: core),
            TrashController(core: core),
            SettingsController(core: core),
            UsageController(core: core),
            QuotasController(core: core),
            TusController(core: core),
            UploadsController(core: core, signingKey: partSigningKey),
            UsageLedgerController(
                ledger: ledger,
                serviceTokens: services,
                defaultQuota: core.settings.defaultQuota
            ),
        ]
    }
}
