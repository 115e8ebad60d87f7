import Foundation
import Hummingbird
import PostgresNIO
import StrypeCore
import StrypeService

/// Changes to the tree beyond uploads: metadata, moves, trash, purge, versions, usage and settings.
extension PostgresNodeRepository {
    func storage(owner: UUID, directory: FilePath) async throws -> StorageSettings {
        try await chain(owner: owner, path: directory).nearestStorage
    }

    func findAny(owner: UUID, id: UUID) async throws -> NodeRecord? {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE n.id = \(id) AND n.owner_id = \(owner)",
            logger: logger
        )
        for try await row in rows.decode(Row.self) { return Self.record(row) }
        return nil
    }

    func update(owner: UUID, id: UUID, name: String?, attrs: [String: String]?, tags: [String]?) async throws {
        let attrsText = try attrs.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        do {
            try await client.query(
                """
                UPDATE fs.nodes SET
                    name = CASE WHEN parent_id IS NULL THEN name ELSE COALESCE(\(name), name) END,
                    attrs = COALESCE(\(attrsText)::jsonb, attrs), tags = COALESCE(\(tags), tags), modified_at = now()
                WHERE id = \(id) AND owner_id = \(owner) AND trashed_at IS NULL
                """,
                logger: logger
            )
        } catch  where PostgresErrors.isUniqueViolation(error) {
            throw APIError(.conflict, code: "name_taken", message: "that name is taken in this folder")
        }
    }

    func move(owner: UUID, id: UUID, to path: FilePath) async throws {
        do {
            try await client.withTransaction(logger: logger) { connection in
                // One tree change at a time per user, so two crossing moves cannot build a cycle together.
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext(\(owner.uuidString)))",
                    logger: logger
                )
                var parent = try await Self.root(owner: owner, on: connection, logger: logger)
                for name in path.parent.segments {
                    guard let next = try await Self.child(of: parent.id, named: name, on: connection, logger: logger)
                    else { throw APIError.notFound("no folder \(path.parent)") }
                    guard next.kind == .dir else {
                        throw APIError(.conflict, code: "not_a_directory", message: "\(path.parent) is a file")
                    }
                    parent = next
                }
                let rows = try await connection.query(
                    """
                    WITH RECURSIVE up (id, parent_id) AS (
                        SELECT id, parent_id FROM fs.nodes WHERE id = \(parent.id)
                        UNION ALL
                        SELECT n.id, n.parent_id FROM fs.nodes n JOIN up ON n.id = up.parent_id
                    )
                    SELECT count(*) FROM up WHERE id = \(id)
                    """,
                    logger: logger
                )
                for try await count in rows.decode(Int.self) where count > 0 {
                    throw APIError(.conflict, code: "cycle", message: "a folder cannot move into itself")
                }
                try await connection.query(
                    """
                    UPDATE fs.nodes SET parent_id = \(parent.id), name = \(path.name), modified_at = now()
                    WHERE id = \(id) AND owner_id = \(owner) AND trashed_at IS NULL AND parent_id IS NOT NULL
                    """,
                    logger: logger
                )
            }
        } catch {
            if PostgresErrors.isUniqueViolation(error) {
                throw APIError(.conflict, code: "name_taken", message: "\(path) exists")
            }
            throw PostgresErrors.unwrapped(error)
        }
    }

    func trash(owner: UUID, id: UUID) async throws {
        try await client.query(
            """
            WITH RECURSIVE sub (id) AS (
                SELECT id FROM fs.nodes WHERE id = \(id) AND owner_id = \(owner) AND parent_id IS NOT NULL
                    AND trashed_at IS NULL
                UNION ALL
                SELECT n.id FROM fs.nodes n JOIN sub ON n.parent_id = sub.id WHERE n.trashed_at IS NULL
            )
            UPDATE fs.nodes SET trashed_at = now(), trash_root = (id = \(id)) WHERE id IN (SELECT id FROM sub)
            """,
            logger: logger
        )
    }

    func restore(owner: UUID, id: UUID) async throws {
        do {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT p.trashed_at IS NOT NULL FROM fs.nodes n JOIN fs.nodes p ON p.id = n.parent_id
                    WHERE n.id = \(id) AND n.owner_id = \(owner) AND n.trash_root
                    """,
                    logger: logger
                )
                var parentTrashed: Bool?
                for try await trashed in rows.decode(Bool.self) { parentTrashed = trashed }
                guard let parentTrashed else { throw APIError.notFound("nothing in the trash with this id") }
                guard !parentTrashed else {
                    throw APIError(
                        .conflict,
                        code: "parent_trashed",
                        message: "its folder is in the trash too; restore that first"
                    )
                }
                try await connection.query(
                    """
                    WITH RECURSIVE sub (id, trashed_at) AS (
                        SELECT id, trashed_at FROM fs.nodes WHERE id = \(id)
                        UNION ALL
                        SELECT n.id, n.trashed_at FROM fs.nodes n JOIN sub ON n.parent_id = sub.id
                        WHERE n.trashed_at = sub.trashed_at AND NOT n.trash_root
                    )
                    UPDATE fs.nodes SET trashed_at = NULL, trash_root = false WHERE id IN (SELECT id FROM sub)
                    """,
                    logger: logger
                )
            }
        } catch {
            if PostgresErrors.isUniqueViolation(error) {
                throw APIError(.conflict, code: "name_taken", message: "something of that name is there now")
            }
            throw PostgresErrors.unwrapped(error)
        }
    }

    func purge(owner: UUID, id: UUID) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                WITH RECURSIVE sub (id) AS (
                    SELECT id FROM fs.nodes WHERE id = \(id) AND owner_id = \(owner) AND parent_id IS NOT NULL
                    UNION ALL
                    SELECT n.id FROM fs.nodes n JOIN sub ON n.parent_id = sub.id
                )
                INSERT INTO fs.loose_chunks (chunk_id, owner_id, collect_after)
                SELECT DISTINCT vc.chunk_id, \(owner)::uuid, now() FROM fs.version_chunks vc
                WHERE vc.file_id IN (SELECT id FROM sub) AND vc.sealed IS NULL
                ON CONFLICT (chunk_id) DO UPDATE SET collect_after = now(), upload_id = NULL
                """,
                logger: logger
            )
            try await connection.query(
                "DELETE FROM fs.nodes WHERE id = \(id) AND owner_id = \(owner) AND parent_id IS NOT NULL",
                logger: logger
            )
        }
    }

    func trashed(owner: UUID) async throws -> [NodeRecord] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
            WHERE n.owner_id = \(owner) AND n.trash_root ORDER BY n.trashed_at DESC, n.name
            """,
            logger: logger
        )
        return try await rows.decode(Row.self).collected().map(Self.record)
    }

    func versions(fileID: UUID) async throws -> [VersionRecord] {
        let rows = try await client.query(
            """
            SELECT version, size, sha256, durability, encryption, content_type, created_at FROM fs.versions
            WHERE file_id = \(fileID) ORDER BY version DESC
            """,
            logger: logger
        )
        var found: [VersionRecord] = []
        for try await row in rows.decode((Int, Int64, String, String, String, String, Date).self) {
            found.append(
                VersionRecord(
                    number: row.0,
                    size: row.1,
                    sha256: row.2,
                    durability: row.3,
                    encryption: row.4,
                    contentType: row.5,
                    created: row.6
                )
            )
        }
        return found
    }

    func restoreVersion(owner: UUID, fileID: UUID, version: Int) async throws {
        do {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT current_version FROM fs.nodes
                    WHERE id = \(fileID) AND owner_id = \(owner) AND kind = 'file' AND trashed_at IS NULL FOR UPDATE
                    """,
                    logger: logger
                )
                var current: Int?
                for try await number in rows.decode(Int?.self) { current = number }
                guard let current else { throw APIError.notFound("no such file") }
                let next = current + 1
                let copied = try await connection.query(
                    """
                    INSERT INTO fs.versions (file_id, version, size, sha256, durability, encryption, content_type)
                    SELECT file_id, \(next), size, sha256, durability, encryption, content_type FROM fs.versions
                    WHERE file_id = \(fileID) AND version = \(version) RETURNING version
                    """,
                    logger: logger
                )
                var found = false
                for try await _ in copied.decode(Int.self) { found = true }
                guard found else { throw APIError.notFound("no version \(version)") }
                try await connection.query(
                    """
                    INSERT INTO fs.version_chunks (file_id, version, seq, chunk_id, size, sealed, wrapped_key)
                    SELECT file_id, \(next), seq, chunk_id, size, sealed, wrapped_key FROM fs.version_chunks
                    WHERE file_id = \(fileID) AND version = \(version)
                    """,
                    logger: logger
                )
                try await connection.query(
                    "UPDATE fs.nodes SET current_version = \(next), modified_at = now() WHERE id = \(fileID)",
                    logger: logger
                )
            }
        } catch {
            throw PostgresErrors.unwrapped(error)
        }
    }

    func saveDirectorySettings(owner: UUID, id: UUID, _ storage: StorageSettings) async throws {
        try await client.query(
            """
            UPDATE fs.nodes SET durability = \(storage.durability), encryption = \(storage.encryption)
            WHERE id = \(id) AND owner_id = \(owner) AND kind = 'dir'
            """,
            logger: logger
        )
    }
}
