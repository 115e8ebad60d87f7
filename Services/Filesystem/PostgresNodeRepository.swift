import Foundation
import Hummingbird
import Logging
import PostgresNIO
import StrypeCore
import StrypeService

/// `NodeRepository` on PostgreSQL.
struct PostgresNodeRepository: NodeRepository {
    let client: PostgresClient
    let logger: Logger
    /// The quota of users without one of their own (nil: none).
    var defaultQuota: Int64? = nil

    static let columns = """
        n.id, n.owner_id, n.parent_id, n.name, n.kind, n.modified_at,
        v.version, v.size, v.sha256, v.durability, v.encryption, v.content_type, v.created_at,
        n.attrs::text, n.tags, n.trashed_at, n.durability, n.encryption
        """
    static let from = "fs.nodes n LEFT JOIN fs.versions v ON v.file_id = n.id AND v.version = n.current_version"

    typealias Row = (
        UUID, UUID, UUID?, String, String, Date, Int?, Int64?, String?, String?, String?, String?, Date?, String,
        [String], Date?, String?, String?
    )

    static func record(_ row: Row) -> NodeRecord {
        var version: VersionRecord?
        if let number = row.6, let size = row.7, let sha = row.8, let durability = row.9, let encryption = row.10,
            let type = row.11, let created = row.12
        {
            version = VersionRecord(
                number: number,
                size: size,
                sha256: sha,
                durability: durability,
                encryption: encryption,
                contentType: type,
                created: created
            )
        }
        return NodeRecord(
            id: row.0,
            ownerID: row.1,
            parentID: row.2,
            name: row.3,
            kind: NodeKind(rawValue: row.4) ?? .file,
            modified: row.5,
            version: version,
            attrs: (try? JSONDecoder().decode([String: String].self, from: Data(row.13.utf8))) ?? [:],
            tags: row.14,
            trashedAt: row.15,
            storage: StorageSettings(durability: row.16, encryption: row.17)
        )
    }

    func root(owner: UUID) async throws -> NodeRecord {
        try await client.withConnection { try await Self.root(owner: owner, on: $0, logger: logger) }
    }

    static func root(owner: UUID, on connection: PostgresConnection, logger: Logger) async throws -> NodeRecord {
        // Read first: the root exists for every request but a user's very first, which should not cost a write each.
        for attempt in 0..<2 {
            let rows = try await connection.query(
                """
                SELECT \(unescaped: columns) FROM \(unescaped: from) WHERE n.owner_id = \(owner) AND n.parent_id IS NULL
                """,
                logger: logger
            )
            for try await row in rows.decode(Row.self) { return record(row) }
            guard attempt == 0 else { break }
            try await connection.query(
                """
                INSERT INTO fs.nodes (id, owner_id, parent_id, name, kind) VALUES (\(UUID()), \(owner), NULL, '', 'dir')
                ON CONFLICT (owner_id) WHERE parent_id IS NULL DO NOTHING
                """,
                logger: logger
            )
        }
        throw APIError(.internalServerError, code: "internal", message: "no root directory")
    }

    static func child(
        of parent: UUID,
        named name: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> NodeRecord? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: columns) FROM \(unescaped: from)
            WHERE n.parent_id = \(parent) AND n.name = \(name) AND n.trashed_at IS NULL
            """,
            logger: logger
        )
        for try await row in rows.decode(Row.self) { return record(row) }
        return nil
    }

    func resolve(owner: UUID, path: FilePath) async throws -> NodeRecord? {
        let chain = try await chain(owner: owner, path: path)
        return chain.count == path.segments.count + 1 ? chain.last : nil
    }

    func chain(owner: UUID, path: FilePath) async throws -> [NodeRecord] {
        try await DatabaseDeadline.run {
            try await client.withConnection { try await Self.chain(owner: owner, path: path, on: $0, logger: logger) }
        }
    }

    /// The live nodes along `path`, the root first, as far as the path exists: one round trip however deep the
    /// path (the root is made when the user has none yet).
    static func chain(
        owner: UUID,
        path: FilePath,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [NodeRecord] {
        let names = path.segments
        let rows = try await connection.query(
            """
            WITH RECURSIVE walk(id, depth) AS (
                SELECT id, 0 FROM fs.nodes WHERE owner_id = \(owner) AND parent_id IS NULL
                UNION ALL
                SELECT c.id, w.depth + 1 FROM walk w JOIN fs.nodes c
                    ON c.parent_id = w.id AND c.trashed_at IS NULL AND c.name = (\(names)::text[])[w.depth + 1]
                WHERE w.depth < \(names.count)
            )
            SELECT \(unescaped: columns) FROM \(unescaped: from) JOIN walk ON walk.id = n.id ORDER BY walk.depth
            """,
            logger: logger
        )
        var chain: [NodeRecord] = []
        for try await row in rows.decode(Row.self) { chain.append(record(row)) }
        if chain.isEmpty { chain = [try await root(owner: owner, on: connection, logger: logger)] }
        return chain
    }

    func find(owner: UUID, id: UUID) async throws -> NodeRecord? {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
            WHERE n.id = \(id) AND n.owner_id = \(owner) AND n.trashed_at IS NULL
            """,
            logger: logger
        )
        for try await row in rows.decode(Row.self) { return Self.record(row) }
        return nil
    }

    func find(id: UUID) async throws -> NodeRecord? {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE n.id = \(id) AND n.trashed_at IS NULL
            """,
            logger: logger
        )
        for try await row in rows.decode(Row.self) { return Self.record(row) }
        return nil
    }

    func path(of id: UUID, from top: UUID?) async throws -> FilePath {
        let rows = try await client.query(
            """
            WITH RECURSIVE up (id, parent_id, name, depth) AS (
                SELECT id, parent_id, name, 0 FROM fs.nodes WHERE id = \(id)
                UNION ALL
                SELECT n.id, n.parent_id, n.name, up.depth + 1 FROM fs.nodes n JOIN up ON n.id = up.parent_id
                WHERE up.id IS DISTINCT FROM \(top)
            )
            SELECT name FROM up WHERE parent_id IS NOT NULL ORDER BY depth DESC
            """,
            logger: logger
        )
        var path = FilePath.root
        for try await name in rows.decode(String.self) { path = try path.appending(name) }
        return path
    }

    func children(of id: UUID, after: ListCursor?, limit: Int) async throws -> [NodeRecord] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from)
            WHERE n.parent_id = \(id) AND n.trashed_at IS NULL
                AND (\(after?.name)::text IS NULL OR (n.kind = 'file', n.name COLLATE "C")
                    > (\(after?.isFile ?? false), \(after?.name)::text COLLATE "C"))
            ORDER BY n.kind = 'file', n.name COLLATE "C"
            LIMIT \(limit)
            """,
            logger: logger
        )
        return try await rows.decode(Row.self).collected().map(Self.record)
    }

    func makeDirectories(owner: UUID, path: FilePath) async throws -> NodeRecord {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await Self.makeDirectories(owner: owner, path: path, on: connection, logger: logger)
            }
        } catch {
            throw PostgresErrors.unwrapped(error)
        }
    }

    static func makeDirectories(owner: UUID, path: FilePath, on connection: PostgresConnection, logger: Logger)
        async throws -> NodeRecord
    {
        // One query finds what exists (usually all of it); only the missing directories are made, one by one.
        let existing = try await chain(owner: owner, path: path, on: connection, logger: logger)
        var node = existing[existing.count - 1]
        var walked = FilePath.root
        for name in path.segments.prefix(existing.count - 1) { walked = try walked.appending(name) }
        guard node.kind == .dir else {
            throw APIError(.conflict, code: "not_a_directory", message: "\(walked) is a file")
        }
        for name in path.segments.dropFirst(existing.count - 1) {
            walked = try walked.appending(name)
            try await connection.query(
                """
                INSERT INTO fs.nodes (id, owner_id, parent_id, name, kind)
                VALUES (\(UUID()), \(owner), \(node.id), \(name), 'dir')
                ON CONFLICT (parent_id, name) WHERE trashed_at IS NULL DO NOTHING
                """,
                logger: logger
            )
            guard let next = try await child(of: node.id, named: name, on: connection, logger: logger) else {
                throw APIError(.conflict, code: "conflict", message: "\(walked) changed meanwhile; try again")
            }
            guard next.kind == .dir else {
                throw APIError(.conflict, code: "not_a_directory", message: "\(walked) is a file")
            }
            node = next
        }
        return node
    }

    func addLooseChunk(_ chunkID: String, owner: UUID, upload: UUID, collectAfter: Date) async throws {
        // One statement, so one round trip and no transaction per chunk: the update sees the rows before the insert,
        // and the new row carries the time itself. Only rows with less than half their time left are refreshed:
        // refreshing every earlier chunk of the upload each time was quadratic, 1.7 ms of PostgreSQL per chunk of a
        // 1 GiB upload.
        try await DatabaseDeadline.run {
            try await addLooseChunkNow(chunkID, owner: owner, upload: upload, at: collectAfter)
        }
    }

    private func addLooseChunkNow(_ chunkID: String, owner: UUID, upload: UUID, at collectAfter: Date) async throws {
        try await client.query(
            """
            WITH alive AS (
                UPDATE fs.loose_chunks SET collect_after = \(collectAfter)
                WHERE upload_id = \(upload) AND collect_after < now() + (\(collectAfter)::timestamptz - now()) / 2
            )
            INSERT INTO fs.loose_chunks (chunk_id, owner_id, upload_id, collect_after)
            VALUES (\(chunkID), \(owner), \(upload), \(collectAfter))
            """,
            logger: logger
        )
    }

    func commit(owner: UUID, path: FilePath, version: NewVersion, upload: UUID?) async throws -> (NodeRecord, Bool) {
        try await DatabaseDeadline.run {
            try await commitNow(owner: owner, path: path, version: version, upload: upload)
        }
    }

    private func commitNow(owner: UUID, path: FilePath, version: NewVersion, upload: UUID?) async throws
        -> (NodeRecord, Bool)
    {
        let statement = PutFile(
            owner: owner,
            path: path,
            version: version,
            upload: upload,
            defaultQuota: defaultQuota
        )
        do {
            for try await (row, created) in try await client.execute(statement, logger: logger) {
                return (Self.record(row), created)
            }
        } catch let error as PSQLError {
            throw PutFile.refusal(error, path: path) ?? error
        }
        throw APIError(.internalServerError, code: "internal", message: "the commit vanished")
    }

    func chunks(fileID: UUID, version: Int) async throws -> [ChunkPart] {
        try await DatabaseDeadline.run {
            var parts: [ChunkPart] = []
            let statement = VersionChunks(file: fileID, version: version)
            for try await part in try await client.execute(statement, logger: logger) { parts.append(part) }
            return parts
        }
    }

    func sealedInlineKey(owner: UUID, make: @Sendable () throws -> [UInt8]) async throws -> [UInt8] {
        // The first writer's key wins; a key once made never changes (content sealed under it stays readable).
        let rows = try await client.query(
            """
            INSERT INTO fs.settings (user_id, inline_key) VALUES (\(owner), \(ByteBuffer(bytes: try make())))
            ON CONFLICT (user_id) DO UPDATE SET inline_key = COALESCE(fs.settings.inline_key, EXCLUDED.inline_key)
            RETURNING inline_key
            """,
            logger: logger
        )
        for try await key in rows.decode(ByteBuffer.self) { return Array(buffer: key) }
        throw APIError(.internalServerError, code: "internal", message: "no inline key")
    }

    func releaseUpload(_ upload: UUID) async throws {
        try await client.query(
            "UPDATE fs.loose_chunks SET collect_after = now() WHERE upload_id = \(upload)",
            logger: logger
        )
    }

    func dueLooseChunks(limit: Int) async throws -> [(chunkID: String, owner: UUID)] {
        let rows = try await client.query(
            """
            SELECT chunk_id, owner_id FROM fs.loose_chunks WHERE collect_after <= now()
            ORDER BY collect_after LIMIT \(limit)
            """,
            logger: logger
        )
        return try await rows.decode((String, UUID).self).collected().map { (chunkID: $0.0, owner: $0.1) }
    }

    func looseChunkCollected(_ chunkID: String) async throws {
        try await client.query("DELETE FROM fs.loose_chunks WHERE chunk_id = \(chunkID)", logger: logger)
    }

    func looseChunkFailed(_ chunkID: String) async throws {
        try await client.query(
            """
            UPDATE fs.loose_chunks SET attempts = attempts + 1,
                collect_after = now() + least(interval '1 hour', interval '10 seconds' * power(2, attempts))
            WHERE chunk_id = \(chunkID)
            """,
            logger: logger
        )
    }
}
