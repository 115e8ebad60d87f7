import Foundation
import Hummingbird
import Logging
import PostgresNIO
import StrypeCore
import StrypeService

/// A user's usage against the quota, in one place: file bytes (every version and the trash, each chunk once) plus
/// the raw bytes chunk, cloud and array charged (`fs.settings.raw_bytes`), and the lock that serialises every check
/// of one user's quota (the ledger's charges, and commits of uploads) so two of them cannot together pass the limit.
enum QuotaLedger {
    /// The advisory lock of `owner`'s quota, held to the end of the transaction that takes it.
    static func lock(owner: UUID) -> PostgresQuery {
        "SELECT pg_advisory_xact_lock(hashtext(\(lockName(owner: owner))))"
    }

    /// `fs.quota:<user id>`: the same key as `hashtext('fs.quota:' || user_id::text)` in SQL.
    static func lockName(owner: UUID) -> String {
        "fs.quota:\(owner.uuidString.lowercased())"
    }

    /// Bytes used (file bytes and raw bytes) and files held by `owner`.
    static func usageQuery(owner: UUID) -> PostgresQuery {
        """
        SELECT
            (SELECT COALESCE(sum(size), 0)::bigint FROM (
                SELECT DISTINCT vc.chunk_id, vc.size FROM fs.version_chunks vc JOIN fs.nodes n ON n.id = vc.file_id
                WHERE n.owner_id = \(owner)) stored)
            + COALESCE((SELECT raw_bytes FROM fs.settings WHERE user_id = \(owner)), 0)::bigint,
            (SELECT count(*) FROM fs.nodes WHERE owner_id = \(owner) AND kind = 'file'
                AND current_version IS NOT NULL)
        """
    }

    /// `usageQuery` on a connection, e.g. inside a transaction holding `lock(owner:)`.
    static func usage(owner: UUID, on connection: PostgresConnection, logger: Logger) async throws
        -> (bytes: Int64, files: Int64)
    {
        let rows = try await connection.query(usageQuery(owner: owner), logger: logger)
        for try await (bytes, files) in rows.decode((Int64, Int64).self) { return (bytes, files) }
        return (0, 0)
    }

    /// The user's own quota (nil: none of their own, the default applies).
    static func ownQuota(owner: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        let rows = try await connection.query(
            "SELECT quota_bytes FROM fs.settings WHERE user_id = \(owner)",
            logger: logger
        )
        for try await quota in rows.decode(Int64?.self) { return quota }
        return nil
    }

    /// A 413 for a store that does not fit.
    static func exceeded(left: Int64) -> APIError {
        APIError(
            .contentTooLarge,
            code: "quota_exceeded",
            message: "this does not fit your quota: \(max(0, left)) bytes are left"
        )
    }
}

/// The raw-bytes ledger on PostgreSQL.
struct PostgresQuotaLedger: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Adds `delta` to `owner`'s raw bytes (never below 0) under the user's quota lock; a positive delta that does
    /// not fit the quota (`defaultQuota` when the user has none of their own) is a 413 and changes nothing. Returns
    /// the usage after, and the quota in force.
    func charge(owner: UUID, bytes delta: Int64, defaultQuota: Int64?) async throws -> UsageChargeResponse {
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query(QuotaLedger.lock(owner: owner), logger: logger)
                let quota = try await QuotaLedger.ownQuota(owner: owner, on: connection, logger: logger) ?? defaultQuota
                let used = try await QuotaLedger.usage(owner: owner, on: connection, logger: logger).bytes
                if delta > 0, let quota, used > quota - delta {
                    throw QuotaLedger.exceeded(left: quota - used)
                }
                // What the raw bytes changed by (a refund stops at 0), so the usage need not be summed again.
                let rows = try await connection.query(
                    """
                    WITH old AS (SELECT raw_bytes FROM fs.settings WHERE user_id = \(owner))
                    INSERT INTO fs.settings (user_id, raw_bytes) VALUES (\(owner), GREATEST(0, \(delta)::bigint))
                    ON CONFLICT (user_id) DO UPDATE
                        SET raw_bytes = GREATEST(0, fs.settings.raw_bytes + \(delta)::bigint)
                    RETURNING raw_bytes - COALESCE((SELECT raw_bytes FROM old), 0)
                    """,
                    logger: logger
                )
                var change: Int64 = 0
                for try await value in rows.decode(Int64.self) { change = value }
                return UsageChargeResponse(bytes: used + change, quota: quota)
            }
        } catch {
            throw PostgresErrors.unwrapped(error)
        }
    }
}
