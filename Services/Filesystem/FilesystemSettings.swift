import StrypeService

/// Filesystem's own settings, parsed once at start.
struct FilesystemSettings: Sendable {
    var chunkSize = 4 << 20
    var window = 4
    var readAheadBytes = 16 << 20
    var orphanAge: Duration = .seconds(3600)
    var orphanScan: Duration = .seconds(60)
    var defaultQuota: Int64?
    var tusExpiry: Duration = .seconds(86_400)
    var inlineMaxBytes = 65_536

    init() {}

    /// `CHUNK_SIZE_MIB` (4), `UPLOAD_WINDOW` (4 chunks in flight per transfer), `DOWNLOAD_WINDOW_MIB` (16: bytes a
    /// download fetches ahead of what it has sent, at least one chunk), `ORPHAN_AGE_SECONDS` (3600: an
    /// upload idle this long is abandoned), `ORPHAN_SCAN_SECONDS` (60), `DEFAULT_QUOTA_BYTES` (0: no quota),
    /// `TUS_EXPIRY_SECONDS` (86400: a tus upload left alone this long, or a multipart session this old, is deleted),
    /// `INLINE_MAX_BYTES` (65536: a file this small or smaller is kept sealed in PostgreSQL, not on backends; 0: none).
    init(_ environment: EnvironmentReader) throws(ConfigError) {
        chunkSize = try environment.integer("CHUNK_SIZE_MIB", default: 4, in: 1...64) << 20
        window = try environment.integer("UPLOAD_WINDOW", default: 4, in: 1...32)
        readAheadBytes = try environment.integer("DOWNLOAD_WINDOW_MIB", default: 16, in: 1...1024) << 20
        orphanAge = .seconds(try environment.integer("ORPHAN_AGE_SECONDS", default: 3600, in: 1...2_592_000))
        orphanScan = .seconds(try environment.integer("ORPHAN_SCAN_SECONDS", default: 60, in: 1...86_400))
        let quota = try environment.integer("DEFAULT_QUOTA_BYTES", default: 0, in: 0...Int.max)
        defaultQuota = quota == 0 ? nil : Int64(quota)
        tusExpiry = .seconds(try environment.integer("TUS_EXPIRY_SECONDS", default: 86_400, in: 60...31_536_000))
        inlineMaxBytes = try environment.integer("INLINE_MAX_BYTES", default: 65_536, in: 0...1 << 20)
    }

    /// `tusExpiry` in seconds.
    var tusExpirySeconds: Double { Double(tusExpiry.components.seconds) }
}
