import Foundation
import Logging
import PostgresNIO
import StrypeCore
import StrypeService

/// `GroupRepository` on PostgreSQL.
struct GroupRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    private static let select = """
        SELECT g.id, g.name, g.created_at,
               COALESCE(array_agg(m.user_id ORDER BY m.added_at, m.user_id) FILTER (WHERE m.user_id IS NOT NULL), '{}')
        FROM auth.groups g LEFT JOIN auth.group_members m ON m.group_id = g.id
        """

    func create(name: String) async throws -> GroupResponse {
        do {
            let rows = try await client.query(
                "INSERT INTO auth.groups (id, name) VALUES (\(UUID()), \(name)) RETURNING id, name, created_at",
                logger: logger
            )
            for try await (id, name, created) in rows.decode((UUID, String, Date).self) {
                return GroupResponse(id: id, name: name, members: [], createdAt: created)
            }
            throw APIError(.internalServerError, code: "internal_error", message: "group not created")
        } catch {
            if PostgresErrors.isUniqueViolation(error) { throw APIError.conflict("a group with this name exists") }
            throw error
        }
    }

    func list() async throws -> [GroupResponse] {
        try await Self.groups(
            client.query("\(unescaped: Self.select) GROUP BY g.id ORDER BY g.name", logger: logger)
        )
    }

    func find(id: UUID) async throws -> GroupResponse? {
        try await Self.groups(
            client.query("\(unescaped: Self.select) WHERE g.id = \(id) GROUP BY g.id", logger: logger)
        ).first
    }

    func find(name: String) async throws -> GroupResponse? {
        try await Self.groups(
            client.query("\(unescaped: Self.select) WHERE g.name = \(name) GROUP BY g.id", logger: logger)
        ).first
    }

    func delete(id: UUID) async throws -> Bool {
        let rows = try await client.query("DELETE FROM auth.groups WHERE id = \(id) RETURNING id", logger: logger)
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    func addMember(groupID: UUID, userID: UUID) async throws -> Bool {
        do {
            try await client.query(
                """
                INSERT INTO auth.group_members (group_id, user_id) VALUES (\(groupID), \(userID))
                ON CONFLICT DO NOTHING
                """,
                logger: logger
            )
            return true
        } catch {
            if PostgresErrors.isForeignKeyViolation(error) { return false }
            throw error
        }
    }

    func removeMember(groupID: UUID, userID: UUID) async throws -> Bool {
        let rows = try await client.query(
            "DELETE FROM auth.group_members WHERE group_id = \(groupID) AND user_id = \(userID) RETURNING user_id",
            logger: logger
        )
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    func groups(ofUser userID: UUID) async throws -> [GroupSummary] {
        let rows = try await client.query(
            """
            SELECT g.id, g.name FROM auth.groups g JOIN auth.group_members m ON m.group_id = g.id
            WHERE m.user_id = \(userID) ORDER BY g.name
            """,
            logger: logger
        )
        return try await rows.decode((UUID, String).self).collected().map { (id, name) in
            GroupSummary(id: id, name: name)
        }
    }

    private static func groups(_ rows: PostgresRowSequence) async throws -> [GroupResponse] {
        return try await rows.decode((UUID, String, Date, [UUID]).self).collected().map {
            (id, name, created, members) in
            GroupResponse(id: id, name: name, members: members, createdAt: created)
        }
    }
}
