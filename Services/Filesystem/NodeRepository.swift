import Foundation
import Hummingbird
import Logging
import PostgresNIO
import StrypeCore
import StrypeService

/// `file` or `dir`.
enum NodeKind: String, Sendable {
    case file
    case dir
}

/// One stored version of a file.
struct VersionRecord: Sendable {
    var number: Int
    var size: Int64
    var sha256: String
    var durability: String
    var encryption: String
    var contentType: String
    var created: Date
}

/// A file or directory row, with its current version when it is a file.
struct NodeRecord: Sendable {
    var id: UUID
    var ownerID: UUID
    var parentID: UUID?
    var name: String
    var kind: NodeKind
    var modified: Date
    var version: VersionRecord?
    var attrs: [String: String] = [:]
    var tags: [String] = []
    var trashedAt: Date?
    /// A directory's own storage choice for new files below it.
    var storage = StorageSettings()

    /// The API view at `path`; `access` below an owner's is shown (the node is shared with the caller).
    func response(path: FilePath, children: [NodeResponse]? = nil, access: Access = .owner) -> NodeResponse {
        NodeResponse(
            id: id,
            kind: kind.rawValue,
            path: path.description,
            name: name,
            size: version?.size ?? 0,
            sha256: version?.sha256,
            version: version?.number,
            durability: version?.durability,
            encryption: version?.encryption,
            contentType: version?.contentType,
            modified: modified,
            attrs: attrs,
            tags: tags,
            trashedAt: trashedAt,
            children: children,
            access: access == .owner ? nil : access.grantText
        )
    }
}

extension [NodeRecord] {
    /// The storage choice the nearest of these directories (root first) made, field by field.
    var nearestStorage: StorageSettings {
        var chosen = StorageSettings()
        for node in self where node.kind == .dir {
            chosen.durability = node.storage.durability ?? chosen.durability
            chosen.encryption = node.storage.encryption ?? chosen.encryption
        }
        return chosen
    }
}

/// One chunk of a version, in order: on backends through chunk, or kept inline in PostgreSQL.
struct ChunkPart: Sendable, Equatable {
    var chunkID: String
    var size: Int64
    /// The sealed content of an inline chunk (nil: its shards are on backends).
    var inline: InlineContent? = nil
}

/// A version ready to be committed: every chunk is stored.
struct NewVersion: Sendable {
    var size: Int64
    var sha256: String
    /// nil: the nearest directory's choice, else the user's, else the default, resolved as it commits.
    var durability: String?
    /// As `durability`; an inline version is always sealed (`aes256-gcm`).
    var encryption: String?
    var contentType: String
    var chunks: [ChunkPart]
}

/// The file tree in Postgres. Every change is one transaction.
protocol NodeRepository: Sendable {
    /// The user's root directory, created on first use.
    func root(owner: UUID) async throws -> NodeRecord
    /// The live node at `path`, or nil.
    func resolve(owner: UUID, path: FilePath) async throws -> NodeRecord?
    /// The live nodes along `path`, the root first, as far as the path exists (one round trip).
    func chain(owner: UUID, path: FilePath) async throws -> [NodeRecord]
    /// The user's live node with this id, or nil.
    func find(owner: UUID, id: UUID) async throws -> NodeRecord?
    /// Any user's live node with this id (callers check access), or nil.
    func find(id: UUID) async throws -> NodeRecord?
    /// Where a node is, from the root, or from `top` (`/top-name/...`) when it is below that directory.
    func path(of id: UUID, from top: UUID?) async throws -> FilePath
    /// Up to `limit` live entries of a directory after `after` (nil: from the first), directories first, then by name.
    func children(of id: UUID, after: ListCursor?, limit: Int) async throws -> [NodeRecord]
    /// `mkdir -p`: the directory at `path`, creating what is missing; 409 when a file is in the way.
    func makeDirectories(owner: UUID, path: FilePath) async throws -> NodeRecord
    /// Records a chunk about to be stored for an upload, collectable after `collectAfter` unless committed; pushes
    /// the upload's other chunks' time out as well (the upload is alive).
    func addLooseChunk(_ chunkID: String, owner: UUID, upload: UUID, collectAfter: Date) async throws
    /// Makes `version` the file's current one at `path` (creating the file and its parents), releases the upload's
    /// loose chunks; returns the node and whether the file is new. In one round trip (`fs.put_file`). With a quota
    /// (the owner's, else the default), the owner's commits take turns and one that would take usage past it is a
    /// 413 `quota_exceeded` that changes nothing.
    func commit(owner: UUID, path: FilePath, version: NewVersion, upload: UUID?) async throws -> (NodeRecord, Bool)
    /// The chunks of a file version, in order, inline content included.
    func chunks(fileID: UUID, version: Int) async throws -> [ChunkPart]
    /// The owner's key for inline content, sealed; `make` seals a new one when the owner has none yet.
    func sealedInlineKey(owner: UUID, make: @Sendable () throws -> [UInt8]) async throws -> [UInt8]
    /// Any of the user's nodes, trashed ones included.
    func findAny(owner: UUID, id: UUID) async throws -> NodeRecord?
    /// Renames in place and replaces the given metadata; 409 when the name is taken.
    func update(owner: UUID, id: UUID, name: String?, attrs: [String: String]?, tags: [String]?) async throws
    /// Moves (and renames) a node to `path`, whose parent must be a directory; 409 on a name clash or a cycle.
    func move(owner: UUID, id: UUID, to path: FilePath) async throws
    /// Moves a node and everything below it to the trash.
    func trash(owner: UUID, id: UUID) async throws
    /// Brings a trashed node back where it was, with what was trashed with it.
    func restore(owner: UUID, id: UUID) async throws
    /// Deletes a node and everything below it for good; their chunks become loose, collectable at once.
    func purge(owner: UUID, id: UUID) async throws
    /// What the user trashed, latest first.
    func trashed(owner: UUID) async throws -> [NodeRecord]
    /// A file's versions, latest first.
    func versions(fileID: UUID) async throws -> [VersionRecord]
    /// Makes an old version current again, as a new version with the same chunks.
    func restoreVersion(owner: UUID, fileID: UUID, version: Int) async throws
    /// Bytes stored (every version, the trash included, each chunk once, plus the raw bytes charged by chunk, cloud
    /// and array) and files.
    func usage(owner: UUID) async throws -> (bytes: Int64, files: Int64)
    /// The declared lengths of the owner's open tus uploads and multipart sessions (not expired): room they hold.
    func pendingUploads(owner: UUID) async throws -> Int64
    /// The user's storage choice and quota.
    func settings(owner: UUID) async throws -> (storage: StorageSettings, quota: Int64?)
    func saveSettings(owner: UUID, _ storage: StorageSettings) async throws
    func saveQuota(owner: UUID, bytes: Int64?) async throws
    /// The storage choice the nearest directory on the way to `directory` made (nil fields: none did).
    func storage(owner: UUID, directory: FilePath) async throws -> StorageSettings
    /// Sets a directory's storage choice for new files below it.
    func saveDirectorySettings(owner: UUID, id: UUID, _ storage: StorageSettings) async throws
    /// A failed upload: its chunks are collectable at once.
    func releaseUpload(_ upload: UUID) async throws
    /// Loose chunks due for collection.
    func dueLooseChunks(limit: Int) async throws -> [(chunkID: String, owner: UUID)]
    /// The chunk was deleted (or was never stored).
    func looseChunkCollected(_ chunkID: String) async throws
    /// Deleting failed; try again later, backing off.
    func looseChunkFailed(_ chunkID: String) async throws
}

extension NodeRepository {
    /// Where a node is, from its owner's root.
    func path(of id: UUID) async throws -> FilePath { try await path(of: id, from: nil) }
}

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
        var found: [NodeRecord] = []
        for try await row in rows.decode(Row.self) { found.append(Self.record(row)) }
        return found
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
        var due: [(String, UUID)] = []
        for try await row in rows.decode((String, UUID).self) { due.append(row) }
        return due.map { (chunkID: $0.0, owner: $0.1) }
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
