import Foundation
import Logging
import PostgresNIO
import StrypeCore

/// A share link row.
struct LinkRecord: Sendable {
    var id: UUID
    var nodeID: UUID
    var ownerID: UUID
    var expires: Date?
    var created: Date

    var response: LinkResponse {
        LinkResponse(id: id, fileID: nodeID, token: nil, url: nil, expires: expires, created: created)
    }
}

/// Share links in Postgres, found by the SHA-256 of their token.
struct LinkRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    func insert(_ link: LinkRecord, tokenSHA256: String) async throws {
        try await client.query(
            """
            INSERT INTO fs.links (id, token_sha256, node_id, owner_id, expires_at)
            VALUES (\(link.id), \(tokenSHA256), \(link.nodeID), \(link.ownerID), \(link.expires))
            """,
            logger: logger
        )
    }

    func find(tokenSHA256: String) async throws -> LinkRecord? {
        let rows = try await client.query(
            """
            SELECT id, node_id, owner_id, expires_at, created_at FROM fs.links
            WHERE token_sha256 = \(tokenSHA256) AND (expires_at IS NULL OR expires_at > now())
            """,
            logger: logger
        )
        for try await row in rows.decode((UUID, UUID, UUID, Date?, Date).self) {
            return LinkRecord(id: row.0, nodeID: row.1, ownerID: row.2, expires: row.3, created: row.4)
        }
        return nil
    }

    func live(nodeID: UUID) async throws -> [LinkRecord] {
        let rows = try await client.query(
            """
            SELECT id, node_id, owner_id, expires_at, created_at FROM fs.links
            WHERE node_id = \(nodeID) AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at
            """,
            logger: logger
        )
        return try await rows.decode((UUID, UUID, UUID, Date?, Date).self).collected().map { row in
            LinkRecord(id: row.0, nodeID: row.1, ownerID: row.2, expires: row.3, created: row.4)
        }
    }

    func delete(id: UUID, nodeID: UUID, ownerID: UUID) async throws -> Bool {
        let rows = try await client.query(
            "DELETE FROM fs.links WHERE id = \(id) AND node_id = \(nodeID) AND owner_id = \(ownerID) RETURNING id",
            logger: logger
        )
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    /// Whether `node` lies below `folder`.
    func isInside(_ node: UUID, _ folder: UUID) async throws -> Bool {
        let rows = try await client.query(
            """
            WITH RECURSIVE up (id, parent_id) AS (
                SELECT id, parent_id FROM fs.nodes WHERE id = \(node)
                UNION ALL
                SELECT n.id, n.parent_id FROM fs.nodes n JOIN up ON n.id = up.parent_id
            )
            SELECT count(*) FROM up WHERE parent_id = \(folder)
            """,
            logger: logger
        )
        for try await count in rows.decode(Int.self) { return count > 0 }
        return false
    }
}
