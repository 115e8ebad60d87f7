import Foundation
import Logging
import PostgresNIO

/// What tus uploads and multipart sessions share in PostgreSQL: an upload row that expires, and the rows of the chunks
/// stored for it, which go to the collector (`fs.loose_chunks`) once the upload is removed.
struct UploadRows: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// The table of uploads (`id`, `owner_id`, `expires_at`).
    let uploads: String
    /// The table of their chunks (`chunk_id`) and its column naming the upload.
    let chunks: String
    let uploadColumn: String

    /// Forgets the upload; its chunks, recorded or still loose, are collected.
    func remove(_ id: UUID) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO fs.loose_chunks (chunk_id, owner_id, collect_after)
                SELECT c.chunk_id, u.owner_id, now() FROM \(unescaped: chunks) c JOIN \(unescaped: uploads) u
                    ON u.id = c.\(unescaped: uploadColumn)
                WHERE c.\(unescaped: uploadColumn) = \(id)
                ON CONFLICT (chunk_id) DO UPDATE SET collect_after = now()
                """,
                logger: logger
            )
            try await connection.query(
                "UPDATE fs.loose_chunks SET collect_after = now() WHERE upload_id = \(id)",
                logger: logger
            )
            try await connection.query("DELETE FROM \(unescaped: uploads) WHERE id = \(id)", logger: logger)
        }
    }

    /// Uploads past their expiry, the longest expired first.
    func expired(limit: Int) async throws -> [UUID] {
        let rows = try await client.query(
            "SELECT id FROM \(unescaped: uploads) WHERE expires_at <= now() ORDER BY expires_at LIMIT \(limit)",
            logger: logger
        )
        return try await rows.decode(UUID.self).collected()
    }
}
