import Foundation
import Logging
import PostgresNIO
import StrypeCore
import StrypeService

/// What a caller may do with a node, weakest first.
enum Access: Int, Comparable, Sendable {
    case read = 1
    case readWrite = 2
    case owner = 3

    /// `read` or `read-write` as grants spell it; nil for anything else (an owner is never granted).
    init?(grant text: String) {
        switch text {
        case "read": self = .read
        case "read-write": self = .readWrite
        default: return nil
        }
    }

    var grantText: String { self == .read ? "read" : "read-write" }

    static func < (lhs: Access, rhs: Access) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One directory shared with a user or group.
struct GrantRecord: Sendable {
    var id: UUID
    var nodeID: UUID
    var ownerID: UUID
    var grantee: Grantee
    var access: Access
    var created: Date

    var response: GrantResponse {
        GrantResponse(id: id, nodeID: nodeID, grantee: grantee, access: access.grantText, created: created)
    }
}

/// Directory grants in Postgres.
protocol GrantRepository: Sendable {
    /// Grants `grantee` access to the directory, or changes the access of its grant.
    func save(nodeID: UUID, ownerID: UUID, grantee: Grantee, access: Access) async throws -> GrantRecord
    /// The grants on one directory.
    func grants(nodeID: UUID) async throws -> [GrantRecord]
    /// Revokes one grant of the directory; false when it has no such grant.
    func delete(id: UUID, nodeID: UUID) async throws -> Bool
    /// The strongest grant the user (or one of their groups) holds on the node or a directory above it, and the
    /// granted directory; nil when none does.
    func access(to nodeID: UUID, user: UUID, groups: [UUID]) async throws -> (access: Access, root: UUID)?
    /// The live directories shared with the user or their groups.
    func shared(with user: UUID, groups: [UUID]) async throws -> [GrantRecord]
}

/// `GrantRepository` on PostgreSQL.
struct PostgresGrantRepository: GrantRepository {
    let client: PostgresClient
    let logger: Logger

    private static let columns =
        "g.id, g.node_id, g.owner_id, g.grantee_kind, g.grantee_id, g.grantee_name, g.access, g.created_at"

    private typealias Row = (UUID, UUID, UUID, String, UUID, String, String, Date)

    func save(nodeID: UUID, ownerID: UUID, grantee: Grantee, access: Access) async throws -> GrantRecord {
        let rows = try await client.query(
            """
            INSERT INTO fs.grants AS g (id, node_id, owner_id, grantee_kind, grantee_id, grantee_name, access)
            VALUES (\(UUID()), \(nodeID), \(ownerID), \(grantee.kind), \(grantee.id), \(grantee.name), \(access.grantText))
            ON CONFLICT (node_id, grantee_kind, grantee_id)
            DO UPDATE SET access = EXCLUDED.access, grantee_name = EXCLUDED.grantee_name
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger
        )
        guard let saved = try await Self.records(rows).first else {
            throw APIError(.internalServerError, code: "internal_error", message: "grant not saved")
        }
        return saved
    }

    func grants(nodeID: UUID) async throws -> [GrantRecord] {
        try await Self.records(
            client.query(
                "SELECT \(unescaped: Self.columns) FROM fs.grants g WHERE g.node_id = \(nodeID) ORDER BY g.created_at",
                logger: logger
            )
        )
    }

    func delete(id: UUID, nodeID: UUID) async throws -> Bool {
        let rows = try await client.query(
            "DELETE FROM fs.grants WHERE id = \(id) AND node_id = \(nodeID) RETURNING id",
            logger: logger
        )
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    func access(to nodeID: UUID, user: UUID, groups: [UUID]) async throws -> (access: Access, root: UUID)? {
        // Strongest access first; among equals the grant highest up, so paths start at the widest shared folder.
        let rows = try await client.query(
            """
            WITH RECURSIVE up (id, parent_id, depth) AS (
                SELECT id, parent_id, 0 FROM fs.nodes WHERE id = \(nodeID)
                UNION ALL
                SELECT n.id, n.parent_id, up.depth + 1 FROM fs.nodes n JOIN up ON n.id = up.parent_id
            )
            SELECT g.access, g.node_id FROM up JOIN fs.grants g ON g.node_id = up.id
            WHERE (g.grantee_kind = 'user' AND g.grantee_id = \(user))
               OR (g.grantee_kind = 'group' AND g.grantee_id = ANY(\(groups)))
            ORDER BY g.access = 'read-write' DESC, up.depth DESC
            LIMIT 1
            """,
            logger: logger
        )
        for try await (text, root) in rows.decode((String, UUID).self) {
            guard let access = Access(grant: text) else { return nil }
            return (access, root)
        }
        return nil
    }

    func shared(with user: UUID, groups: [UUID]) async throws -> [GrantRecord] {
        try await Self.records(
            client.query(
                """
                SELECT \(unescaped: Self.columns) FROM fs.grants g JOIN fs.nodes n ON n.id = g.node_id
                WHERE n.trashed_at IS NULL
                  AND ((g.grantee_kind = 'user' AND g.grantee_id = \(user))
                    OR (g.grantee_kind = 'group' AND g.grantee_id = ANY(\(groups))))
                ORDER BY n.name COLLATE "C", g.created_at
                """,
                logger: logger
            )
        )
    }

    private static func records(_ rows: PostgresRowSequence) async throws -> [GrantRecord] {
        var found: [GrantRecord] = []
        for try await row in rows.decode(Row.self) {
            found.append(
                GrantRecord(
                    id: row.0,
                    nodeID: row.1,
                    ownerID: row.2,
                    grantee: Grantee(kind: row.3, id: row.4, name: row.5),
                    access: Access(grant: row.6) ?? .read,
                    created: row.7
                )
            )
        }
        return found
    }
}
