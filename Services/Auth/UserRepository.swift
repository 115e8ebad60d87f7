import Foundation
import Logging
import PostgresNIO
import StrypeService

/// A user row.
struct UserRecord: Sendable, Equatable {
    var id: UUID
    var email: String
    var name: String
    var passwordHash: String
    var roles: [String]
    var disabled: Bool
    var createdAt: Date

    var isAdmin: Bool { roles.contains(Role.admin) }
}

/// The users table.
protocol UserRepository: Sendable {
    /// Inserts a user; `adminIfFirst` makes the very first user an admin. Throws 409 on a taken email.
    func create(email: String, name: String, passwordHash: String, roles: [String], adminIfFirst: Bool) async throws
        -> UserRecord
    func find(id: UUID) async throws -> UserRecord?
    func find(email: String) async throws -> UserRecord?
    func list(limit: Int, offset: Int) async throws -> (users: [UserRecord], total: Int)
    /// Changes the given fields; nil leaves a field as it is.
    func update(id: UUID, name: String?, roles: [String]?, disabled: Bool?, passwordHash: String?) async throws
        -> UserRecord?
    func delete(id: UUID) async throws -> Bool
    /// Admins that are not disabled, other than `excluding`.
    func activeAdminCount(excluding: UUID?) async throws -> Int
}

/// `UserRepository` on PostgreSQL.
struct PostgresUserRepository: UserRepository {
    let client: PostgresClient
    let logger: Logger

    private static let columns = "id, email, name, password_hash, roles, disabled, created_at"

    func create(email: String, name: String, passwordHash: String, roles: [String], adminIfFirst: Bool) async throws
        -> UserRecord
    {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                // Serialise registrations so exactly one can be the first.
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext('cloudstrype.auth.register'))",
                    logger: logger
                )
                var finalRoles = roles
                if adminIfFirst {
                    let rows = try await connection.query(
                        "SELECT NOT EXISTS (SELECT 1 FROM auth.users)",
                        logger: logger
                    )
                    for try await isFirst in rows.decode(Bool.self) where isFirst { finalRoles.append(Role.admin) }
                }
                finalRoles = Array(Set(finalRoles)).sorted()
                let id = UUID()
                let rows = try await connection.query(
                    """
                    INSERT INTO auth.users (id, email, name, password_hash, roles)
                    VALUES (\(id), \(email), \(name), \(passwordHash), \(finalRoles))
                    RETURNING id, email, name, password_hash, roles, disabled, created_at
                    """,
                    logger: logger
                )
                return try await Self.first(rows)!
            }
        } catch {
            if PostgresErrors.isUniqueViolation(error) {
                throw APIError.conflict("an account with this email already exists")
            }
            throw PostgresErrors.unwrapped(error)
        }
    }

    func find(id: UUID) async throws -> UserRecord? {
        try await Self.first(
            client.query("SELECT \(unescaped: Self.columns) FROM auth.users WHERE id = \(id)", logger: logger)
        )
    }

    func find(email: String) async throws -> UserRecord? {
        try await Self.first(
            client.query("SELECT \(unescaped: Self.columns) FROM auth.users WHERE email = \(email)", logger: logger)
        )
    }

    func list(limit: Int, offset: Int) async throws -> (users: [UserRecord], total: Int) {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM auth.users ORDER BY created_at, id LIMIT \(limit) OFFSET \(offset)",
            logger: logger
        )
        var users: [UserRecord] = []
        for try await row in rows.decode(Row.self) { users.append(Self.record(row)) }
        var total = 0
        let counted = try await client.query("SELECT count(*)::int FROM auth.users", logger: logger)
        for try await count in counted.decode(Int.self) { total = count }
        return (users, total)
    }

    func update(id: UUID, name: String?, roles: [String]?, disabled: Bool?, passwordHash: String?) async throws
        -> UserRecord?
    {
        try await Self.first(
            client.query(
                """
                UPDATE auth.users SET
                    name = COALESCE(\(name), name),
                    roles = COALESCE(\(roles), roles),
                    disabled = COALESCE(\(disabled), disabled),
                    password_hash = COALESCE(\(passwordHash), password_hash),
                    updated_at = now()
                WHERE id = \(id)
                RETURNING id, email, name, password_hash, roles, disabled, created_at
                """,
                logger: logger
            )
        )
    }

    func delete(id: UUID) async throws -> Bool {
        let rows = try await client.query("DELETE FROM auth.users WHERE id = \(id) RETURNING id", logger: logger)
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    func activeAdminCount(excluding: UUID?) async throws -> Int {
        let rows = try await client.query(
            """
            SELECT count(*)::int FROM auth.users
            WHERE 'admin' = ANY(roles) AND NOT disabled AND (\(excluding)::uuid IS NULL OR id <> \(excluding))
            """,
            logger: logger
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    private typealias Row = (UUID, String, String, String, [String], Bool, Date)

    private static func record(_ row: Row) -> UserRecord {
        UserRecord(
            id: row.0,
            email: row.1,
            name: row.2,
            passwordHash: row.3,
            roles: row.4,
            disabled: row.5,
            createdAt: row.6
        )
    }

    private static func first(_ rows: PostgresRowSequence) async throws -> UserRecord? {
        for try await row in rows.decode(Row.self) { return record(row) }
        return nil
    }
}
