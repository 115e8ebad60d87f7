import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import StrypeCodec
import StrypeCore
import StrypeService

/// A tus upload in progress.
struct TusUpload: Sendable {
    var id: UUID
    /// Whose tree the file goes into (and whose chunks it is).
    var ownerID: UUID
    /// Who sends it: the owner, or a grantee writing into a folder shared with them.
    var uploaderID: UUID
    var path: FilePath
    var length: Int64
    var received: Int64
    var durability: String
    var encryption: String
    var hashState: [UInt8]
    var tail: [UInt8]
    var head: [UInt8]
    var expires: Date
}

/// `TusRepository` on PostgreSQL.
struct TusRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    func create(_ upload: TusUpload) async throws {
        try await client.query(
            """
            INSERT INTO fs.tus_uploads (id, owner_id, uploader_id, path, length, received, durability, encryption,
                hash_state, expires_at)
            VALUES (\(upload.id), \(upload.ownerID), \(upload.uploaderID), \(upload.path.description), \(upload.length),
                0, \(upload.durability), \(upload.encryption), \(Data(upload.hashState)), \(upload.expires))
            """,
            logger: logger
        )
    }

    func find(uploader: UUID, id: UUID) async throws -> TusUpload? {
        let rows = try await client.query(
            """
            SELECT id, owner_id, COALESCE(uploader_id, owner_id), path, length, received, durability, encryption,
                hash_state, tail, head, expires_at
            FROM fs.tus_uploads
            WHERE id = \(id) AND COALESCE(uploader_id, owner_id) = \(uploader) AND expires_at > now()
            """,
            logger: logger
        )
        for try await row in rows.decode(
            (UUID, UUID, UUID, String, Int64, Int64, String, String, Data, Data, Data, Date).self
        ) {
            return TusUpload(
                id: row.0,
                ownerID: row.1,
                uploaderID: row.2,
                path: try FilePath(row.3),
                length: row.4,
                received: row.5,
                durability: row.6,
                encryption: row.7,
                hashState: Array(row.8),
                tail: Array(row.9),
                head: Array(row.10),
                expires: row.11
            )
        }
        return nil
    }

    func advance(_ upload: TusUpload, from: Int64, parts: [ChunkPart]) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE fs.tus_uploads SET received = \(upload.received), hash_state = \(Data(upload.hashState)),
                    tail = \(Data(upload.tail)), head = \(Data(upload.head)), expires_at = \(upload.expires)
                WHERE id = \(upload.id) AND received = \(from) RETURNING id
                """,
                logger: logger
            )
            var moved = false
            for try await _ in rows.decode(UUID.self) { moved = true }
            guard moved else { return false }
            guard !parts.isEmpty else { return true }
            try await connection.query(
                """
                INSERT INTO fs.tus_chunks (upload_id, seq, chunk_id, size)
                SELECT \(upload.id), (SELECT count(*) FROM fs.tus_chunks WHERE upload_id = \(upload.id)) + s, c, z
                FROM unnest(\(Array(0..<parts.count))::integer[], \(parts.map(\.chunkID))::text[],
                    \(parts.map(\.size))::bigint[]) AS t (s, c, z)
                """,
                logger: logger
            )
            try await UploadStore.claim(parts, on: connection, logger: logger)
            return true
        }
    }

    /// The shared store: reading the chunks back, removing the upload, finding the expired ones.
    var store: UploadStore {
        UploadStore(
            client: client,
            logger: logger,
            uploads: "fs.tus_uploads",
            chunks: "fs.tus_chunks",
            uploadColumn: "upload_id",
            order: "seq"
        )
    }
}
