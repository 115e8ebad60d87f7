import Foundation
import Logging
import PostgresNIO
import StrypeService

/// What presenting a refresh token led to.
enum RefreshOutcome: Sendable, Equatable {
    /// The token was current: it is now used, and the new one takes its place in the family.
    case rotated(userID: UUID, familyID: UUID)
    /// The token had already been rotated: someone replayed it, so its whole family is now revoked.
    case reused(userID: UUID, familyID: UUID)
    /// Unknown, expired or revoked.
    case invalid
}

/// `SessionRepository` on PostgreSQL.
struct SessionRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    func start(userID: UUID, tokenDigest: Data, expiresAt: Date) async throws -> UUID {
        let family = UUID()
        try await client.query(
            """
            INSERT INTO auth.refresh_tokens (id, family_id, user_id, token_hash, expires_at)
            VALUES (\(UUID()), \(family), \(userID), \(tokenDigest), \(expiresAt))
            """,
            logger: logger
        )
        return family
    }

    func rotate(tokenDigest: Data, newDigest: Data, lifetime: Duration) async throws -> RefreshOutcome {
        try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT t.id, t.family_id, t.user_id, t.used_at IS NOT NULL, t.revoked_at IS NOT NULL, t.expires_at,
                       (SELECT min(f.created_at) FROM auth.refresh_tokens f WHERE f.family_id = t.family_id),
                       u.disabled
                FROM auth.refresh_tokens t JOIN auth.users u ON u.id = t.user_id
                WHERE t.token_hash = \(tokenDigest)
                FOR UPDATE OF t
                """,
                logger: logger
            )
            var found: (UUID, UUID, UUID, Bool, Bool, Date, Date, Bool)?
            for try await row in rows.decode((UUID, UUID, UUID, Bool, Bool, Date, Date, Bool).self) { found = row }
            guard let (id, family, user, used, revoked, expiresAt, signedInAt, disabled) = found else {
                return .invalid
            }
            // The session's deadline is fixed at sign-in: each new token inherits it, and a lifetime shortened
            // since then applies to existing sessions too.
            let lifetimeSeconds = TimeInterval(lifetime.components.seconds)
            let deadline = min(expiresAt, signedInAt.addingTimeInterval(lifetimeSeconds))
            if revoked || disabled || deadline <= Date() { return .invalid }
            if used {
                try await connection.query(
                    "UPDATE auth.refresh_tokens SET revoked_at = now() WHERE family_id = \(family) AND revoked_at IS NULL",
                    logger: logger
                )
                return .reused(userID: user, familyID: family)
            }
            try await connection.query(
                "UPDATE auth.refresh_tokens SET used_at = now() WHERE id = \(id)",
                logger: logger
            )
            try await connection.query(
                """
                INSERT INTO auth.refresh_tokens (id, family_id, user_id, token_hash, expires_at)
                VALUES (\(UUID()), \(family), \(user), \(newDigest), \(deadline))
                """,
                logger: logger
            )
            return .rotated(userID: user, familyID: family)
        }
    }

    func session(ofToken tokenDigest: Data) async throws -> (familyID: UUID, userID: UUID)? {
        let rows = try await client.query(
            "SELECT family_id, user_id FROM auth.refresh_tokens WHERE token_hash = \(tokenDigest)",
            logger: logger
        )
        for try await (family, user) in rows.decode((UUID, UUID).self) { return (family, user) }
        return nil
    }

    func revoke(familyID: UUID, userID: UUID) async throws -> Bool {
        let rows = try await client.query(
            """
            UPDATE auth.refresh_tokens SET revoked_at = now()
            WHERE family_id = \(familyID) AND user_id = \(userID) AND revoked_at IS NULL
            RETURNING id
            """,
            logger: logger
        )
        var any = false
        for try await _ in rows.decode(UUID.self) { any = true }
        return any
    }

    func revokeAll(userID: UUID, keeping: UUID?) async throws -> [UUID] {
        let rows = try await client.query(
            """
            UPDATE auth.refresh_tokens SET revoked_at = now()
            WHERE user_id = \(userID) AND revoked_at IS NULL AND (\(keeping)::uuid IS NULL OR family_id <> \(keeping))
            RETURNING family_id
            """,
            logger: logger
        )
        var families = Set<UUID>()
        for try await family in rows.decode(UUID.self) { families.insert(family) }
        return Array(families)
    }

    func revokedFamilies(since date: Date) async throws -> [UUID] {
        let rows = try await client.query(
            "SELECT DISTINCT family_id FROM auth.refresh_tokens WHERE revoked_at > \(date)",
            logger: logger
        )
        return try await rows.decode(UUID.self).collected()
    }
}
