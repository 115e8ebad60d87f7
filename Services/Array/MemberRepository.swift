import Foundation
import Logging
import PostgresNIO
import StrypeCore
import StrypeService

/// A member row: a desktop agent's identity, what it last reported, and who may use it.
struct MemberRecord: Sendable, Equatable {
    var id: UUID
    var ownerID: UUID
    var name: String
    var capacity: Int64
    var free: Int64
    var objects: Int64
    var bytes: Int64
    var version: String?
    var shared: Bool
    var removed: Bool
    var lastSeen: Date?

    /// The API view, with presence from Redis.
    func response(online: Bool) -> MemberResponse {
        MemberResponse(
            id: id,
            name: name,
            ownerID: ownerID,
            capacity: capacity,
            free: free,
            objects: objects,
            bytes: bytes,
            online: online,
            lastSeen: lastSeen,
            shared: shared,
            version: version
        )
    }
}

/// What an agent reports about itself in `hello` and `pong`.
struct MemberReport: Sendable {
    var capacity: Int64
    var free: Int64
    var objects: Int64
    var bytes: Int64
    var version: String?
}

/// An object recorded on a member.
struct ObjectRecord: Sendable {
    var memberID: UUID
    var key: String
    var size: Int64
    var sha256: String
    var challenges: [String]
    var lost: Bool
}

extension MemberRepository {
    /// Records an object no quota was charged for (a shard chunk wrote); returns the charge it replaced.
    @discardableResult
    func recordObject(_ object: ObjectRecord, ownerID: UUID) async throws -> (ownerID: UUID, bytes: Int64)? {
        try await recordObject(object, ownerID: ownerID, chargedTo: nil, seedCharged: false)
    }
}

/// `MemberRepository` on PostgreSQL.
struct MemberRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    private static let columns =
        "id, owner_id, name, capacity, free, objects, bytes, version, shared, removed_at IS NOT NULL, last_seen"

    func checkIn(id: UUID, ownerID: UUID, name: String, report: MemberReport) async throws -> MemberRecord? {
        let found = try await records(
            client.query(
                """
                INSERT INTO "array".members (id, owner_id, name, capacity, free, objects, bytes, version, last_seen)
                VALUES (\(id), \(ownerID), \(name), \(report.capacity), \(report.free), \(report.objects),
                        \(report.bytes), \(report.version), now())
                ON CONFLICT (id) DO UPDATE SET capacity = EXCLUDED.capacity, free = EXCLUDED.free,
                    objects = EXCLUDED.objects, bytes = EXCLUDED.bytes, version = EXCLUDED.version, last_seen = now()
                WHERE "array".members.removed_at IS NULL AND "array".members.owner_id = EXCLUDED.owner_id
                RETURNING \(unescaped: Self.columns)
                """,
                logger: logger
            )
        )
        return found.first
    }

    func report(id: UUID, _ report: MemberReport) async throws {
        try await client.query(
            """
            UPDATE "array".members SET capacity = \(report.capacity), free = \(report.free),
                objects = \(report.objects), bytes = \(report.bytes), last_seen = now()
            WHERE id = \(id)
            """,
            logger: logger
        )
    }

    func touch(id: UUID) async throws {
        try await client.query("UPDATE \"array\".members SET last_seen = now() WHERE id = \(id)", logger: logger)
    }

    func find(id: UUID) async throws -> MemberRecord? {
        try await records(
            client.query("SELECT \(unescaped: Self.columns) FROM \"array\".members WHERE id = \(id)", logger: logger)
        ).first
    }

    func visible(to userID: UUID) async throws -> [MemberRecord] {
        try await records(
            client.query(
                """
                SELECT \(unescaped: Self.columns) FROM "array".members
                WHERE removed_at IS NULL AND (owner_id = \(userID) OR shared) ORDER BY created_at, id
                """,
                logger: logger
            )
        )
    }

    func all() async throws -> [MemberRecord] {
        try await records(
            client.query(
                """
                SELECT \(unescaped: Self.columns) FROM "array".members WHERE removed_at IS NULL ORDER BY created_at, id
                """,
                logger: logger
            )
        )
    }

    func update(id: UUID, name: String?, shared: Bool?) async throws -> MemberRecord? {
        try await records(
            client.query(
                """
                UPDATE "array".members SET name = COALESCE(\(name), name), shared = COALESCE(\(shared), shared)
                WHERE id = \(id) AND removed_at IS NULL RETURNING \(unescaped: Self.columns)
                """,
                logger: logger
            )
        ).first
    }

    func remove(id: UUID) async throws -> Bool {
        // The row stays as a tombstone so the agent's token cannot bring the member back.
        let rows = try await client.query(
            """
            UPDATE "array".members SET removed_at = now(), shared = false
            WHERE id = \(id) AND removed_at IS NULL RETURNING id
            """,
            logger: logger
        )
        for try await _ in rows.decode(UUID.self) {
            try await client.query("DELETE FROM \"array\".objects WHERE member_id = \(id)", logger: logger)
            return true
        }
        return false
    }

    func removeRefunding(id: UUID) async throws -> [(ownerID: UUID, bytes: Int64)]? {
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                // The row stays as a tombstone so the agent's token cannot bring the member back.
                let removed = try await connection.query(
                    """
                    UPDATE "array".members SET removed_at = now(), shared = false
                    WHERE id = \(id) AND removed_at IS NULL RETURNING id
                    """,
                    logger: logger
                )
                var found = false
                for try await _ in removed.decode(UUID.self) { found = true }
                guard found else { return nil }
                let rows = try await connection.query(
                    """
                    SELECT owner_id, sum(bytes)::bigint FROM (
                        SELECT charged_to AS owner_id, size AS bytes FROM "array".objects
                        WHERE member_id = \(id) AND charged_to IS NOT NULL
                        UNION ALL
                        SELECT o.owner_id, o.size FROM "array".objects o
                        WHERE o.member_id = \(id) AND o.seed_charged AND NOT EXISTS (
                            SELECT 1 FROM "array".objects c JOIN "array".members m ON m.id = c.member_id
                            WHERE c.seed_charged AND c.owner_id = o.owner_id AND c.member_id <> o.member_id
                                AND right(c.key, 32) = right(o.key, 32) AND m.removed_at IS NULL)
                    ) charged GROUP BY owner_id
                    """,
                    logger: logger
                )
                var refunds: [(ownerID: UUID, bytes: Int64)] = []
                for try await (owner, bytes) in rows.decode((UUID, Int64).self) { refunds.append((owner, bytes)) }
                try await connection.query("DELETE FROM \"array\".objects WHERE member_id = \(id)", logger: logger)
                return refunds
            }
        } catch {
            throw PostgresErrors.unwrapped(error)
        }
    }

    @discardableResult
    func recordObject(_ object: ObjectRecord, ownerID: UUID, chargedTo: UUID?, seedCharged: Bool) async throws -> (
        ownerID: UUID, bytes: Int64
    )? {
        // The replaced row is read and locked in the statement that replaces it, so two writers of one key each get
        // back exactly the charge they displaced.
        let rows = try await client.query(
            """
            WITH old AS (
                SELECT charged_to, size FROM "array".objects
                WHERE member_id = \(object.memberID) AND key = \(object.key) FOR UPDATE
            ), written AS (
                INSERT INTO "array".objects
                    (member_id, key, owner_id, size, sha256, challenges, charged_to, seed_charged)
                VALUES (\(object.memberID), \(object.key), \(ownerID), \(object.size), \(object.sha256),
                        \(object.challenges), \(chargedTo), \(seedCharged))
                ON CONFLICT (member_id, key) DO UPDATE SET size = EXCLUDED.size, sha256 = EXCLUDED.sha256,
                    challenges = EXCLUDED.challenges, owner_id = EXCLUDED.owner_id, lost_at = NULL, lost_reason = NULL,
                    stored_at = now(), charged_to = EXCLUDED.charged_to, seed_charged = EXCLUDED.seed_charged
            )
            SELECT charged_to, size FROM old WHERE charged_to IS NOT NULL
            """,
            logger: logger
        )
        for try await (owner, size) in rows.decode((UUID, Int64).self) { return (owner, size) }
        return nil
    }

    func chargedObjectSize(memberID: UUID, key: String) async throws -> Int64? {
        let rows = try await client.query(
            """
            SELECT size FROM "array".objects
            WHERE member_id = \(memberID) AND key = \(key) AND charged_to IS NOT NULL
            """,
            logger: logger
        )
        for try await size in rows.decode(Int64.self) { return size }
        return nil
    }

    func deleteObjectRefunding(memberID: UUID, key: String) async throws -> (ownerID: UUID, bytes: Int64)? {
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    DELETE FROM "array".objects WHERE member_id = \(memberID) AND key = \(key)
                    RETURNING owner_id, size, charged_to, seed_charged
                    """,
                    logger: logger
                )
                var deleted: (owner: UUID, size: Int64, chargedTo: UUID?, seed: Bool)?
                for try await row in rows.decode((UUID, Int64, UUID?, Bool).self) { deleted = row }
                guard let deleted else { return nil }
                if let chargedTo = deleted.chargedTo { return (chargedTo, deleted.size) }
                guard deleted.seed else { return nil }
                // A seed chunk was charged once: only its last copy gives the bytes back.
                let others = try await connection.query(
                    """
                    SELECT count(*) FROM "array".objects c JOIN "array".members m ON m.id = c.member_id
                    WHERE c.seed_charged AND c.owner_id = \(deleted.owner) AND right(c.key, 32) = right(\(key), 32)
                        AND m.removed_at IS NULL
                    """,
                    logger: logger
                )
                for try await count in others.decode(Int64.self) where count > 0 { return nil }
                return (deleted.owner, deleted.size)
            }
        } catch {
            throw PostgresErrors.unwrapped(error)
        }
    }

    func chargedSeedSize(keys: [String], ownerID: UUID) async throws -> Int64? {
        let rows = try await client.query(
            """
            SELECT max(o.size) FROM "array".objects o JOIN "array".members m ON m.id = o.member_id
            WHERE o.key = ANY(\(keys)) AND o.owner_id = \(ownerID) AND o.seed_charged AND m.removed_at IS NULL
            """,
            logger: logger
        )
        for try await size in rows.decode(Int64?.self) { return size }
        return nil
    }

    func object(memberID: UUID, key: String) async throws -> ObjectRecord? {
        let rows = try await client.query(
            """
            SELECT size, sha256, challenges, lost_at IS NOT NULL FROM "array".objects
            WHERE member_id = \(memberID) AND key = \(key)
            """,
            logger: logger
        )
        for try await (size, sha256, challenges, lost) in rows.decode((Int64, String, [String], Bool).self) {
            return ObjectRecord(
                memberID: memberID,
                key: key,
                size: size,
                sha256: sha256,
                challenges: challenges,
                lost: lost
            )
        }
        return nil
    }

    func deleteObject(memberID: UUID, key: String) async throws {
        try await client.query(
            "DELETE FROM \"array\".objects WHERE member_id = \(memberID) AND key = \(key)",
            logger: logger
        )
    }

    func takeChallenge(memberID: UUID, key: String) async throws -> String? {
        // Each challenge is used once: a member that saw a nonce could otherwise keep only its answer.
        let rows = try await client.query(
            """
            UPDATE "array".objects o SET challenges = o.challenges[2:]
            FROM (SELECT challenges[1] AS first FROM "array".objects
                  WHERE member_id = \(memberID) AND key = \(key) FOR UPDATE) old
            WHERE o.member_id = \(memberID) AND o.key = \(key) AND old.first IS NOT NULL
            RETURNING old.first
            """,
            logger: logger
        )
        for try await challenge in rows.decode(String.self) { return challenge }
        return nil
    }

    func replaceChallenges(memberID: UUID, key: String, _ challenges: [String]) async throws {
        try await client.query(
            """
            UPDATE "array".objects SET challenges = \(challenges), lost_at = NULL, lost_reason = NULL
            WHERE member_id = \(memberID) AND key = \(key)
            """,
            logger: logger
        )
    }

    func markLost(memberID: UUID, key: String, reason: String) async throws {
        try await client.query(
            """
            UPDATE "array".objects SET lost_at = COALESCE(lost_at, now()), lost_reason = \(reason)
            WHERE member_id = \(memberID) AND key = \(key)
            """,
            logger: logger
        )
    }

    func holders(keys: [String], ownerID: UUID) async throws -> [(memberID: UUID, key: String)] {
        let rows = try await client.query(
            """
            SELECT o.member_id, o.key FROM "array".objects o JOIN "array".members m ON m.id = o.member_id
            WHERE o.key = ANY(\(keys)) AND o.owner_id = \(ownerID) AND o.lost_at IS NULL AND m.removed_at IS NULL
            ORDER BY o.stored_at
            """,
            logger: logger
        )
        return try await rows.decode((UUID, String).self).collected().map { (memberID: $0.0, key: $0.1) }
    }

    private func records(_ rows: PostgresRowSequence) async throws -> [MemberRecord] {
        var records: [MemberRecord] = []
        for try await row in rows.decode(
            (UUID, UUID, String, Int64, Int64, Int64, Int64, String?, Bool, Bool, Date?).self
        ) {
            records.append(
                MemberRecord(
                    id: row.0,
                    ownerID: row.1,
                    name: row.2,
                    capacity: row.3,
                    free: row.4,
                    objects: row.5,
                    bytes: row.6,
                    version: row.7,
                    shared: row.8,
                    removed: row.9,
                    lastSeen: row.10
                )
            )
        }
        return records
    }
}
