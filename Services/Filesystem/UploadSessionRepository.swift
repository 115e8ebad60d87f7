import Foundation
import Logging
import PostgresNIO
import StrypeCore
import StrypeService

/// A multipart upload session.
struct UploadSession: Sendable {
    var id: UUID
    /// Whose tree the file goes into (and whose chunks it is).
    var ownerID: UUID
    /// Who sends it: the owner, or a grantee writing into a folder shared with them.
    var uploaderID: UUID
    var path: FilePath
    var size: Int64
    var partSize: Int64
    var durability: String
    var encryption: String
    var expires: Date

    var partCount: Int { size == 0 ? 1 : Int((size + partSize - 1) / partSize) }

    /// The exact size of part `number` (1-based).
    func size(ofPart number: Int) -> Int64 {
        number < partCount ? partSize : size - partSize * Int64(partCount - 1)
    }
}

/// Multipart sessions and their parts' chunks in Postgres.
struct UploadSessionRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    func create(_ session: UploadSession) async throws {
        try await client.query(
            """
            INSERT INTO fs.upload_sessions (id, owner_id, uploader_id, path, size, part_size, durability, encryption,
                expires_at)
            VALUES (\(session.id), \(session.ownerID), \(session.uploaderID), \(session.path.description),
                \(session.size), \(session.partSize), \(session.durability), \(session.encryption), \(session.expires))
            """,
            logger: logger
        )
    }

    /// The unexpired session, whoever owns it (part uploads carry a signature, not a token).
    func find(_ id: UUID) async throws -> UploadSession? {
        let rows = try await client.query(
            """
            SELECT id, owner_id, COALESCE(uploader_id, owner_id), path, size, part_size, durability, encryption,
                expires_at
            FROM fs.upload_sessions WHERE id = \(id) AND expires_at > now()
            """,
            logger: logger
        )
        for try await row in rows.decode((UUID, UUID, UUID, String, Int64, Int64, String, String, Date).self) {
            return UploadSession(
                id: row.0,
                ownerID: row.1,
                uploaderID: row.2,
                path: try FilePath(row.3),
                size: row.4,
                partSize: row.5,
                durability: row.6,
                encryption: row.7,
                expires: row.8
            )
        }
        return nil
    }

    func receivedParts(_ id: UUID) async throws -> Set<Int> {
        let rows = try await client.query(
            "SELECT DISTINCT part FROM fs.upload_parts WHERE session_id = \(id)",
            logger: logger
        )
        var parts: Set<Int> = []
        for try await part in rows.decode(Int.self) { parts.insert(part) }
        return parts
    }

    /// The bytes of the parts received, but part `except` (which a part sent again replaces).
    func receivedBytes(_ id: UUID, except part: Int) async throws -> Int64 {
        let rows = try await client.query(
            "SELECT COALESCE(sum(size), 0)::bigint FROM fs.upload_parts WHERE session_id = \(id) AND part <> \(part)",
            logger: logger
        )
        for try await bytes in rows.decode(Int64.self) { return bytes }
        return 0
    }

    /// Records a part's chunks; a part sent again replaces the earlier copy, whose chunks are collected.
    func recordPart(_ id: UUID, part: Int, chunks: [ChunkPart]) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO fs.loose_chunks (chunk_id, owner_id, collect_after)
                SELECT p.chunk_id, s.owner_id, now() FROM fs.upload_parts p JOIN fs.upload_sessions s
                    ON s.id = p.session_id
                WHERE p.session_id = \(id) AND p.part = \(part)
                ON CONFLICT (chunk_id) DO UPDATE SET collect_after = now()
                """,
                logger: logger
            )
            try await connection.query(
                "DELETE FROM fs.upload_parts WHERE session_id = \(id) AND part = \(part)",
                logger: logger
            )
            try await connection.query(
                """
                INSERT INTO fs.upload_parts (session_id, part, seq, chunk_id, size)
                SELECT \(id), \(part), s, c, z FROM unnest(\(Array(0..<chunks.count))::integer[],
                    \(chunks.map(\.chunkID))::text[], \(chunks.map(\.size))::bigint[]) AS t (s, c, z)
                """,
                logger: logger
            )
            try await UploadStore.claim(chunks, on: connection, logger: logger)
        }
    }

    /// The shared store: reading the chunks back, removing the upload, finding the expired ones.
    var store: UploadStore {
        UploadStore(
            client: client,
            logger: logger,
            uploads: "fs.upload_sessions",
            chunks: "fs.upload_parts",
            uploadColumn: "session_id",
            order: "part, seq"
        )
    }
}
