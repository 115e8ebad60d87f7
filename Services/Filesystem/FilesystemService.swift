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
                    authentication: dependencies.authentication(verifier, scopes: [Scope.user]),
                    services: dependencies.authentication(verifier, scopes: [Scope.service]),
                    ledger: PostgresQuotaLedger(client: dependencies.postgres, logger: dependencies.logger),
                    partSigningKey: SymmetricKey(
                        data: SHA256.hash(
                            data: Array("cloudstrype.upload-parts:\(dependencies.config.serviceSecret.value)".utf8)
                        )
                    )
                ),
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

    /// One controller per URL prefix; `services` admits service tokens (the usage ledger), `authentication` users.
    static func controllers(
        core: FilesystemCore,
        authentication: AuthenticationMiddleware,
        services: AuthenticationMiddleware,
        ledger: PostgresQuotaLedger,
        partSigningKey: SymmetricKey
    ) -> [any RouteController] {
        [
            DataController(core: core, authentication: authentication),
            InfoController(core: core, authentication: authentication),
            VersionsController(core: core, authentication: authentication),
            GrantsController(core: core, authentication: authentication),
            LinksController(core: core, authentication: authentication),
            DownloadsController(core: core, authentication: authentication),
            DirsController(core: core, authentication: authentication),
            TrashController(core: core, authentication: authentication),
            SettingsController(core: core, authentication: authentication),
            UsageController(core: core, authentication: authentication),
            QuotasController(core: core, authentication: authentication),
            TusController(core: core, authentication: authentication),
            UploadsController(core: core, authentication: authentication, signingKey: partSigningKey),
            UsageLedgerController(
                ledger: ledger,
                authentication: services,
                defaultQuota: core.settings.defaultQuota
            ),
        ]
    }
}
