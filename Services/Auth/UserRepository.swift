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

/// What a self-registration (`POST /register`) must satisfy, checked in the transaction that creates the user so
/// that two registrations cannot both claim the first admin or one invitation.
struct RegistrationPolicy: Sendable {
    /// The registrant's email is `ADMIN_EMAIL`.
    var reservedAdmin = false
    /// The body carried the right `ADMIN_SETUP_TOKEN`.
    var setupTokenValid = false
    var mode: RegistrationMode = .open
    /// The digest of the invitation the body carried, if any.
    var invitationDigest: Data?
}

/// `UserRepository` on PostgreSQL.
struct UserRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    private static let columns = "id, email, name, password_hash, roles, disabled, created_at"

    func create(
        email: String,
        name: String,
        passwordHash: String,
        roles: [String],
        registration: RegistrationPolicy?
    ) async throws -> UserRecord {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                // Serialise registrations so exactly one can claim the first admin.
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext('cloudstrype.auth.register'))",
                    logger: logger
                )
                var finalRoles = roles
                var bootstrap = false
                if let registration {
                    bootstrap = try await Self.admit(registration, on: connection, logger: logger)
                    if bootstrap { finalRoles.append(Role.admin) }
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
                let user = try await Self.first(rows)!
                if let registration, !bootstrap, registration.mode == .invite,
                    let digest = registration.invitationDigest
                {
                    // After the insert: `used_by` names the new row, and a taken email has already failed (409),
                    // leaving the invitation usable. A refused invitation rolls the insert back.
                    guard
                        try await InvitationRepository.consume(
                            tokenDigest: digest,
                            email: email,
                            userID: id,
                            on: connection,
                            logger: logger
                        )
                    else { throw Self.invalidInvitation }
                }
                return user
            }
        } catch {
            if PostgresErrors.isUniqueViolation(error) {
                throw APIError.conflict("an account with this email already exists")
            }
            throw PostgresErrors.unwrapped(error)
        }
    }

    static let invalidInvitation = APIError(
        .forbidden,
        code: "invalid_invitation",
        message: "the invitation is unknown, used, expired or for another email",
        field: "invitation"
    )

    /// Whether a self-registration may go ahead, and as the first admin; throws 403 when it may not.
    private static func admit(_ policy: RegistrationPolicy, on connection: PostgresConnection, logger: Logger)
        async throws -> Bool
    {
        if policy.reservedAdmin {
            let rows = try await connection.query(
                "SELECT EXISTS (SELECT 1 FROM auth.users WHERE 'admin' = ANY(roles) AND NOT disabled)",
                logger: logger
            )
            var adminExists = true
            for try await exists in rows.decode(Bool.self) { adminExists = exists }
            if !adminExists {
                // The address is reserved until the operator's setup token claims it; once an admin exists the
                // token is spent and the address registers like any other.
                guard policy.setupTokenValid else {
                    throw APIError(
                        .forbidden,
                        code: "setup_token_required",
                        message: "this address is reserved for the first admin; registering it needs the setup token",
                        field: "setup_token"
                    )
                }
                return true
            }
        }
        switch policy.mode {
        case .open:
            return false
        case .invite:
            guard policy.invitationDigest != nil else {
                throw APIError(
                    .forbidden,
                    code: "invitation_required",
                    message: "registration is by invitation; ask an admin for one",
                    field: "invitation"
                )
            }
            return false
        case .closed:
            throw APIError.forbidden("registration is closed; ask an admin for an account")
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
