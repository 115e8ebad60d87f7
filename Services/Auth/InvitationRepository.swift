import Foundation
import Logging
import PostgresNIO
import StrypeCore
import StrypeService

/// An invitation row (never the token itself, only its digest is stored).
struct InvitationRecord: Sendable, Equatable {
    var id: UUID
    var email: String?
    var createdAt: Date
    var expiresAt: Date
    var usedAt: Date?
}

/// `InvitationRepository` on PostgreSQL.
struct InvitationRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    func create(tokenDigest: Data, email: String?, expiresAt: Date, createdBy: UUID?) async throws -> InvitationRecord {
        let rows = try await client.query(
            """
            INSERT INTO auth.invitations (id, token_hash, email, created_by, expires_at)
            VALUES (\(UUID()), \(tokenDigest), \(email), \(createdBy), \(expiresAt))
            RETURNING id, email, created_at, expires_at, used_at
            """,
            logger: logger
        )
        guard let record = try await Self.records(rows).first else {
            throw APIError(.internalServerError, code: "internal_error", message: "invitation not created")
        }
        return record
    }

    func list() async throws -> [InvitationRecord] {
        try await Self.records(
            client.query(
                """
                SELECT id, email, created_at, expires_at, used_at FROM auth.invitations
                ORDER BY used_at IS NOT NULL, created_at DESC, id LIMIT 1000
                """,
                logger: logger
            )
        )
    }

    func delete(id: UUID) async throws -> Bool {
        let rows = try await client.query("DELETE FROM auth.invitations WHERE id = \(id) RETURNING id", logger: logger)
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    /// Marks the usable invitation with this digest used by `userID`, inside the registration's transaction; false
    /// when there is none: unknown, used, expired, or for another email.
    static func consume(
        tokenDigest: Data,
        email: String,
        userID: UUID,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Bool {
        let rows = try await connection.query(
            """
            UPDATE auth.invitations SET used_at = now(), used_by = \(userID)
            WHERE token_hash = \(tokenDigest) AND used_at IS NULL AND expires_at > now()
              AND (email IS NULL OR email = \(email))
            RETURNING id
            """,
            logger: logger
        )
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    private static func records(_ rows: PostgresRowSequence) async throws -> [InvitationRecord] {
        return try await rows.decode((UUID, String?, Date, Date, Date?).self).collected().map {
            (id, email, created, expires, used) in
            InvitationRecord(id: id, email: email, createdAt: created, expiresAt: expires, usedAt: used)
        }
    }
}
