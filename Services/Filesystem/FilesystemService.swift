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
        validateEnvironment: { environment throws(ConfigError) in _ = try settings(environment) },
        build: { router, dependencies in
            let settings = (try? settings(dependencies.environment)) ?? Settings()
            let nodes = PostgresNodeRepository(
                client: dependencies.postgres,
                logger: dependencies.logger,
                defaultQuota: settings.defaultQuota
            )
            let tokens = ServiceTokenProvider(
                auth: dependencies.client(for: .auth),
                service: "filesystem",
                secret: dependencies.config.serviceSecret
            )
            let chunks = ChunkClient(
                chunk: dependencies.client(for: .chunk),
                tokens: tokens,
                logger: dependencies.logger
            )
            let grants = PostgresGrantRepository(client: dependencies.postgres, logger: dependencies.logger)
            let directory = AuthGranteeDirectory(auth: dependencies.client(for: .auth), tokens: tokens)
            let access = NodeAccess(nodes: nodes, grants: grants, directory: directory)
            let transfers = Transfers(
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
            )
            let verifier = dependencies.makeVerifier()
            let authentication = dependencies.authentication(verifier, scopes: [Scope.user])
            let data = DataController(
                nodes: nodes,
                access: access,
                transfers: transfers,
                authentication: authentication,
                defaultQuota: settings.defaultQuota
            )
            data.addRoutes(to: router)
            let tus = PostgresTusRepository(client: dependencies.postgres, logger: dependencies.logger)
            TusController(
                data: data,
                uploads: tus,
                authentication: authentication,
                expiry: Double(settings.tusExpiry.components.seconds)
            ).addRoutes(to: router)
            InfoController(nodes: nodes, access: access, chunks: chunks, authentication: authentication)
                .addRoutes(to: router)
            GrantController(access: access, grants: grants, directory: directory, authentication: authentication)
                .addRoutes(to: router)
            let sessions = UploadSessionRepository(client: dependencies.postgres, logger: dependencies.logger)
            UploadSessionController(
                data: data,
                sessions: sessions,
                authentication: authentication,
                signingKey: SymmetricKey(
                    data: SHA256.hash(
                        data: Array("cloudstrype.upload-parts:\(dependencies.config.serviceSecret.value)".utf8)
                    )
                ),
                lifetime: Double(settings.tusExpiry.components.seconds)
            ).addRoutes(to: router)
            LinkController(
                nodes: nodes,
                access: access,
                links: LinkRepository(client: dependencies.postgres, logger: dependencies.logger),
                data: data,
                directory: directory,
                authentication: authentication
            ).addRoutes(to: router)
            DownloadController(
                access: access,
                data: data,
                redis: dependencies.redis,
                directory: directory,
                authentication: authentication
            )
            .addRoutes(to: router)
            SettingsController(
                nodes: nodes,
                authentication: authentication,
                directory: directory,
                defaultQuota: settings.defaultQuota
            )
            .addRoutes(to: router)
            UsageLedgerController(
                ledger: PostgresQuotaLedger(client: dependencies.postgres, logger: dependencies.logger),
                authentication: dependencies.authentication(verifier, scopes: [Scope.service]),
                defaultQuota: settings.defaultQuota
            ).addRoutes(to: router)
            return [
                OrphanCollector(
                    nodes: nodes,
                    tus: tus,
                    sessions: sessions,
                    chunks: chunks,
                    interval: settings.orphanScan,
                    logger: dependencies.logger
                )
            ]
        }
    )

    /// Filesystem's own settings.
    struct Settings: Sendable {
        var chunkSize = 4 << 20
        var window = 4
        var readAheadBytes = 16 << 20
        var orphanAge: Duration = .seconds(3600)
        var orphanScan: Duration = .seconds(60)
        var defaultQuota: Int64?
        var tusExpiry: Duration = .seconds(86_400)
        var inlineMaxBytes = 65_536
    }

    /// `CHUNK_SIZE_MIB` (4), `UPLOAD_WINDOW` (4 chunks in flight per transfer), `DOWNLOAD_WINDOW_MIB` (16: bytes a
    /// download fetches ahead of what it has sent, at least one chunk), `ORPHAN_AGE_SECONDS` (3600: an
    /// upload idle this long is abandoned), `ORPHAN_SCAN_SECONDS` (60), `DEFAULT_QUOTA_BYTES` (0: no quota),
    /// `TUS_EXPIRY_SECONDS` (86400: a tus upload left alone this long, or a multipart session this old, is deleted),
    /// `INLINE_MAX_BYTES` (65536: a file this small or smaller is kept sealed in PostgreSQL, not on backends; 0: none).
    static func settings(_ environment: EnvironmentReader) throws(ConfigError) -> Settings {
        Settings(
            chunkSize: try environment.integer("CHUNK_SIZE_MIB", default: 4, in: 1...64) << 20,
            window: try environment.integer("UPLOAD_WINDOW", default: 4, in: 1...32),
            readAheadBytes: try environment.integer("DOWNLOAD_WINDOW_MIB", default: 16, in: 1...1024) << 20,
            orphanAge: .seconds(try environment.integer("ORPHAN_AGE_SECONDS", default: 3600, in: 1...2_592_000)),
            orphanScan: .seconds(try environment.integer("ORPHAN_SCAN_SECONDS", default: 60, in: 1...86_400)),
            defaultQuota: try environment.integer("DEFAULT_QUOTA_BYTES", default: 0, in: 0...Int.max).nonZero,
            tusExpiry: .seconds(try environment.integer("TUS_EXPIRY_SECONDS", default: 86_400, in: 60...31_536_000)),
            inlineMaxBytes: try environment.integer("INLINE_MAX_BYTES", default: 65_536, in: 0...1 << 20)
        )
    }
}

extension Int {
    /// nil for 0 (a setting's "none").
    fileprivate var nonZero: Int64? { self == 0 ? nil : Int64(self) }
}
