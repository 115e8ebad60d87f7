import Foundation
import Logging
import PostgresNIO
import StrypeCore

/// Each user's own settings (`fs.settings`): how new files are stored and their quota, with what counts against it.
protocol UserSettingsRepository: Sendable {
    /// The user's storage choice (fields nil where unset) and their own quota (nil: the default).
    func settings(owner: UUID) async throws -> (storage: StorageSettings, quota: Int64?)
    func saveSettings(owner: UUID, _ storage: StorageSettings) async throws
    /// Sets the user's own quota; nil removes it (the default applies).
    func saveQuota(owner: UUID, bytes: Int64?) async throws
    /// Bytes the user stores (every version and the trash, each chunk once, plus raw chunks, objects and seeds) and
    /// their files.
    func usage(owner: UUID) async throws -> (bytes: Int64, files: Int64)
    /// The room the user's open tus uploads and multipart sessions declared.
    func pendingUploads(owner: UUID) async throws -> Int64
}

/// `UserSettingsRepository` in PostgreSQL.
struct PostgresUserSettingsRepository: UserSettingsRepository {
    let client: PostgresClient
    let logger: Logger

    func usage(owner: UUID) async throws -> (bytes: Int64, files: Int64) {
        // File bytes plus the raw bytes chunk, cloud and array charged: the one definition in QuotaLedger.
        let rows = try await client.query(QuotaLedger.usageQuery(owner: owner), logger: logger)
        for try await (bytes, files) in rows.decode((Int64, Int64).self) { return (bytes, files) }
        return (0, 0)
    }

    func pendingUploads(owner: UUID) async throws -> Int64 {
        let rows = try await client.query(
            """
            SELECT (SELECT COALESCE(sum(length), 0) FROM fs.tus_uploads
                    WHERE owner_id = \(owner) AND expires_at > now())::bigint
                + (SELECT COALESCE(sum(size), 0) FROM fs.upload_sessions
                    WHERE owner_id = \(owner) AND expires_at > now())::bigint
            """,
            logger: logger
        )
        for try await bytes in rows.decode(Int64.self) { return bytes }
        return 0
    }

    func settings(owner: UUID) async throws -> (storage: StorageSettings, quota: Int64?) {
        let rows = try await client.query(
            "SELECT durability, encryption, quota_bytes FROM fs.settings WHERE user_id = \(owner)",
            logger: logger
        )
        for try await (durability, encryption, quota) in rows.decode((String?, String?, Int64?).self) {
            return (StorageSettings(durability: durability, encryption: encryption), quota)
        }
        return (StorageSettings(), nil)
    }

    func saveSettings(owner: UUID, _ storage: StorageSettings) async throws {
        try await client.query(
            """
            INSERT INTO fs.settings (user_id, durability, encryption)
            VALUES (\(owner), \(storage.durability), \(storage.encryption))
            ON CONFLICT (user_id) DO UPDATE SET durability = EXCLUDED.durability, encryption = EXCLUDED.encryption
            """,
            logger: logger
        )
    }

    func saveQuota(owner: UUID, bytes: Int64?) async throws {
        try await client.query(
            """
            INSERT INTO fs.settings (user_id, quota_bytes) VALUES (\(owner), \(bytes))
            ON CONFLICT (user_id) DO UPDATE SET quota_bytes = EXCLUDED.quota_bytes
            """,
            logger: logger
        )
    }
}
