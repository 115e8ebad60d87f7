import Foundation
import Logging
import PostgresNIO
import StrypeService

/// An agent token row (never the token itself).
struct AgentTokenRecord: Sendable, Equatable {
    var id: UUID
    var userID: UUID
    var name: String
    var createdAt: Date
    var lastUsedAt: Date?
}

/// `AgentTokenRepository` on PostgreSQL.
struct AgentTokenRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    func create(userID: UUID, name: String, tokenDigest: Data) async throws -> AgentTokenRecord {
        let rows = try await client.query(
            """
            INSERT INTO auth.agent_tokens (id, user_id, name, token_hash) VALUES (\(UUID()), \(userID), \(name), \(tokenDigest))
            RETURNING id, user_id, name, created_at, last_used_at
            """,
            logger: logger
        )
        return try await Self.records(rows)[0]
    }

    func list(userID: UUID) async throws -> [AgentTokenRecord] {
        try await Self.records(
            client.query(
                """
                SELECT id, user_id, name, created_at, last_used_at FROM auth.agent_tokens
                WHERE user_id = \(userID) AND revoked_at IS NULL ORDER BY created_at, id
                """,
                logger: logger
            )
        )
    }

    func revoke(id: UUID, userID: UUID) async throws -> Bool {
        let rows = try await client.query(
            """
            UPDATE auth.agent_tokens SET revoked_at = now()
            WHERE id = \(id) AND user_id = \(userID) AND revoked_at IS NULL RETURNING id
            """,
            logger: logger
        )
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    func revokeAll(userID: UUID) async throws -> [UUID] {
        let rows = try await client.query(
            "UPDATE auth.agent_tokens SET revoked_at = now() WHERE user_id = \(userID) AND revoked_at IS NULL RETURNING id",
            logger: logger
        )
        return try await rows.decode(UUID.self).collected()
    }

    func revokedIDs(since date: Date) async throws -> [UUID] {
        let rows = try await client.query(
            "SELECT id FROM auth.agent_tokens WHERE revoked_at > \(date)",
            logger: logger
        )
        return try await rows.decode(UUID.self).collected()
    }

    func use(tokenDigest: Data) async throws -> (token: AgentTokenRecord, user: UserRecord)? {
        let rows = try await client.query(
            """
            UPDATE auth.agent_tokens t SET last_used_at = now()
            FROM auth.users u
            WHERE t.token_hash = \(tokenDigest) AND t.revoked_at IS NULL AND u.id = t.user_id AND NOT u.disabled
            RETURNING t.id, t.user_id, t.name, t.created_at, t.last_used_at,
                      u.email, u.name, u.password_hash, u.roles, u.disabled, u.created_at
            """,
            logger: logger
        )
        for try await row in rows.decode(
            (UUID, UUID, String, Date, Date?, String, String, String, [String], Bool, Date).self
        ) {
            let token = AgentTokenRecord(id: row.0, userID: row.1, name: row.2, createdAt: row.3, lastUsedAt: row.4)
            let user = UserRecord(
                id: row.1,
                email: row.5,
                name: row.6,
                passwordHash: row.7,
                roles: row.8,
                disabled: row.9,
                createdAt: row.10
            )
            return (token, user)
        }
        return nil
    }

    private static func records(_ rows: PostgresRowSequence) async throws -> [AgentTokenRecord] {
        return try await rows.decode((UUID, UUID, String, Date, Date?).self).collected().map { row in
            AgentTokenRecord(id: row.0, userID: row.1, name: row.2, createdAt: row.3, lastUsedAt: row.4)
        }
    }
}
