import Foundation
import Logging
import PostgresNIO
import StrypeCodec
import StrypeCore
import StrypeService

/// A provider account's settings, stored as JSON beside the sealed secret.
struct AccountSettings: Codable, Sendable, Equatable {
    var endpoint: String?
    var region: String?
    var bucket: String?
    var prefix: String?
    var pathStyle: Bool?
    var path: String?
    var accessKeyID: String?
}

/// An account row, its secret still sealed.
struct AccountRecord: Sendable {
    var id: UUID
    var ownerID: UUID
    var provider: String
    var name: String
    var settings: AccountSettings
    var sealedSecret: [UInt8]?
    var shared: Bool
    var health: String
    var healthReason: String?
    var capacity: Int64?
    var used: Int64
    var objects: Int64
    var createdAt: Date

    /// The API view; only the owner (or a service) sees the access key id, nobody ever sees the secret.
    func response(viewer: UUID?) -> AccountResponse {
        let owned = viewer == ownerID
        return AccountResponse(
            id: id,
            provider: provider,
            name: name,
            endpoint: settings.endpoint,
            region: settings.region,
            bucket: settings.bucket,
            prefix: settings.prefix,
            pathStyle: settings.pathStyle,
            path: owned ? settings.path : nil,
            accessKeyID: owned ? settings.accessKeyID : nil,
            shared: shared,
            owned: owned,
            health: health,
            healthReason: healthReason,
            capacity: capacity,
            used: used,
            objects: objects,
            createdAt: createdAt
        )
    }
}

/// `AccountRepository` on PostgreSQL.
struct AccountRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    private static let columns = """
        id, owner_id, provider, name, settings::text, secret_sealed, shared, health, health_reason, capacity,
        used_bytes, objects, created_at
        """

    func insert(_ record: AccountRecord) async throws {
        let settings = String(decoding: try JSONEncoder().encode(record.settings), as: UTF8.self)
        let sealed = record.sealedSecret.map { Data($0) }
        try await client.query(
            """
            INSERT INTO cloud.accounts (id, owner_id, provider, name, settings, secret_sealed, shared, capacity)
            VALUES (\(record.id), \(record.ownerID), \(record.provider), \(record.name), \(settings)::jsonb, \(sealed),
                    \(record.shared), \(record.capacity))
            """,
            logger: logger
        )
    }

    func find(id: UUID) async throws -> AccountRecord? {
        try await records(
            client.query("SELECT \(unescaped: Self.columns) FROM cloud.accounts WHERE id = \(id)", logger: logger)
        ).first
    }

    func visible(to userID: UUID) async throws -> [AccountRecord] {
        try await records(
            client.query(
                """
                SELECT \(unescaped: Self.columns) FROM cloud.accounts
                WHERE owner_id = \(userID) OR shared ORDER BY created_at, id
                """,
                logger: logger
            )
        )
    }

    func all() async throws -> [AccountRecord] {
        try await records(
            client.query("SELECT \(unescaped: Self.columns) FROM cloud.accounts ORDER BY created_at", logger: logger)
        )
    }

    func update(id: UUID, name: String?, shared: Bool?) async throws -> AccountRecord? {
        try await records(
            client.query(
                """
                UPDATE cloud.accounts SET name = COALESCE(\(name), name), shared = COALESCE(\(shared), shared)
                WHERE id = \(id) RETURNING \(unescaped: Self.columns)
                """,
                logger: logger
            )
        ).first
    }

    func delete(id: UUID) async throws -> Bool {
        let rows = try await client.query("DELETE FROM cloud.accounts WHERE id = \(id) RETURNING id", logger: logger)
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    func recordHealth(id: UUID, healthy: Bool, reason: String?) async throws -> Bool {
        let state = healthy ? "healthy" : "unhealthy"
        let rows = try await client.query(
            """
            UPDATE cloud.accounts a SET health = \(state), health_reason = \(healthy ? nil : reason), health_checked_at = now()
            FROM (SELECT health FROM cloud.accounts WHERE id = \(id) FOR UPDATE) old
            WHERE a.id = \(id) RETURNING old.health
            """,
            logger: logger
        )
        for try await previous in rows.decode(String.self) { return previous != state }
        return false
    }

    func addUsage(id: UUID, bytes: Int64, objects: Int64) async throws {
        try await client.query(
            """
            UPDATE cloud.accounts SET used_bytes = GREATEST(used_bytes + \(bytes), 0), objects = GREATEST(objects + \(objects), 0)
            WHERE id = \(id)
            """,
            logger: logger
        )
    }

    func recordChunk(chunkID: String, accountID: UUID, ownerID: UUID, size: Int64, sha256: String, charged: Bool)
        async throws
    {
        try await client.query(
            """
            INSERT INTO cloud.chunk_locations (chunk_id, account_id, owner_id, size, sha256, charged)
            VALUES (\(chunkID), \(accountID), \(ownerID), \(size), \(sha256), \(charged))
            ON CONFLICT (chunk_id, account_id) DO UPDATE SET size = EXCLUDED.size, sha256 = EXCLUDED.sha256,
                charged = EXCLUDED.charged
            """,
            logger: logger
        )
    }

    func chargedSeedSize(chunkID: String, ownerID: UUID) async throws -> Int64? {
        let rows = try await client.query(
            """
            SELECT max(size) FROM cloud.chunk_locations
            WHERE chunk_id = \(chunkID) AND owner_id = \(ownerID) AND charged
            """,
            logger: logger
        )
        for try await size in rows.decode(Int64?.self) { return size }
        return nil
    }

    @discardableResult
    func recordUserObject(accountID: UUID, storedKey: String, ownerID: UUID, size: Int64) async throws -> (
        ownerID: UUID, size: Int64
    )? {
        // The replaced row is read and locked in the same statement that replaces it, so two writers of one key
        // each get back exactly the charge they displaced.
        let rows = try await client.query(
            """
            WITH old AS (
                SELECT owner_id, size FROM cloud.user_objects
                WHERE account_id = \(accountID) AND stored_key = \(storedKey) FOR UPDATE
            ), written AS (
                INSERT INTO cloud.user_objects (account_id, stored_key, owner_id, size)
                VALUES (\(accountID), \(storedKey), \(ownerID), \(size))
                ON CONFLICT (account_id, stored_key) DO UPDATE SET owner_id = EXCLUDED.owner_id, size = EXCLUDED.size
            )
            SELECT owner_id, size FROM old
            """,
            logger: logger
        )
        for try await (owner, size) in rows.decode((UUID, Int64).self) { return (owner, size) }
        return nil
    }

    func deleteUserObject(accountID: UUID, storedKey: String) async throws -> (ownerID: UUID, size: Int64)? {
        let rows = try await client.query(
            """
            DELETE FROM cloud.user_objects WHERE account_id = \(accountID) AND stored_key = \(storedKey)
            RETURNING owner_id, size
            """,
            logger: logger
        )
        for try await (owner, size) in rows.decode((UUID, Int64).self) { return (owner, size) }
        return nil
    }

    func deleteRefunding(id: UUID) async throws -> [(ownerID: UUID, bytes: Int64)]? {
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                // Read before the delete: the rows go with the account (ON DELETE CASCADE).
                let rows = try await connection.query(
                    """
                    SELECT owner_id, sum(bytes)::bigint FROM (
                        SELECT owner_id, size AS bytes FROM cloud.user_objects WHERE account_id = \(id)
                        UNION ALL
                        SELECT l.owner_id, l.size FROM cloud.chunk_locations l
                        WHERE l.account_id = \(id) AND l.charged AND NOT EXISTS (
                            SELECT 1 FROM cloud.chunk_locations o
                            WHERE o.chunk_id = l.chunk_id AND o.owner_id = l.owner_id AND o.account_id <> l.account_id
                                AND o.charged)
                    ) charged GROUP BY owner_id
                    """,
                    logger: logger
                )
                var refunds: [(ownerID: UUID, bytes: Int64)] = []
                for try await (owner, bytes) in rows.decode((UUID, Int64).self) { refunds.append((owner, bytes)) }
                let deleted = try await connection.query(
                    "DELETE FROM cloud.accounts WHERE id = \(id) RETURNING id",
                    logger: logger
                )
                for try await _ in deleted.decode(UUID.self) { return refunds }
                return nil
            }
        } catch {
            throw PostgresErrors.unwrapped(error)
        }
    }

    func chunkLocations(chunkID: String, ownerID: UUID) async throws -> [(accountID: UUID, size: Int64, sha256: String)]
    {
        let rows = try await client.query(
            """
            SELECT account_id, size, sha256 FROM cloud.chunk_locations
            WHERE chunk_id = \(chunkID) AND owner_id = \(ownerID) ORDER BY created_at
            """,
            logger: logger
        )
        return try await rows.decode((UUID, Int64, String).self).collected().map { ($0.0, $0.1, $0.2) }
    }

    private func records(_ rows: PostgresRowSequence) async throws -> [AccountRecord] {
        var records: [AccountRecord] = []
        let decoder = JSONDecoder()
        for try await row in rows.decode(
            (UUID, UUID, String, String, String, Data?, Bool, String, String?, Int64?, Int64, Int64, Date).self
        ) {
            records.append(
                AccountRecord(
                    id: row.0,
                    ownerID: row.1,
                    provider: row.2,
                    name: row.3,
                    settings: try decoder.decode(AccountSettings.self, from: Data(row.4.utf8)),
                    sealedSecret: row.5.map { Array($0) },
                    shared: row.6,
                    health: row.7,
                    healthReason: row.8,
                    capacity: row.9,
                    used: row.10,
                    objects: row.11,
                    createdAt: row.12
                )
            )
        }
        return records
    }
}
