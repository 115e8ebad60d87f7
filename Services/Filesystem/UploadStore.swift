import Foundation
import Logging
import PostgresNIO

/// The one upload store of tus uploads and multipart sessions (each on its pair of tables): an upload row that expires,
/// the chunks stored for it in file order, which go to the collector (`fs.loose_chunks`) once the upload is removed.
struct UploadStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// The table of uploads (`id`, `owner_id`, `expires_at`).
    let uploads: String
    /// The table of their chunks (`chunk_id`, `size`), its column naming the upload, and the chunks' file order.
    let chunks: String
    let uploadColumn: String
    let order: String

    /// The upload's chunks, in file order.
    func chunks(_ id: UUID) async throws -> [ChunkPart] {
        let rows = try await client.query(
            """
            SELECT chunk_id, size FROM \(unescaped: chunks) WHERE \(unescaped: uploadColumn) = \(id)
            ORDER BY \(unescaped: order)
            """,
            logger: logger
        )
        return try await rows.decode((String, Int64).self).collected().map { (chunk, size) in
            ChunkPart(chunkID: chunk, size: size)
        }
    }

    /// Chunks just recorded for an upload belong to it: no longer loose.
    static func claim(_ parts: [ChunkPart], on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "DELETE FROM fs.loose_chunks WHERE chunk_id = ANY(\(parts.map(\.chunkID)))",
            logger: logger
        )
    }

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
