import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import StrypeCore

/// Counts the raw bytes a user stores outside files (direct chunks, account and member objects, seeds) against the
/// user's quota, which filesystem keeps.
package protocol StorageQuota: Sendable {
    /// Adds `bytes` to what `owner` stores (negative: a refund). A charge that does not fit the quota throws a 413
    /// `quota_exceeded`; any other failure throws too, so the store is refused rather than left uncounted.
    func charge(owner: UUID, bytes: Int64) async throws
}

extension StorageQuota {
    /// Gives `bytes` back to `owner`; when filesystem cannot be reached the user stays charged (counted too much,
    /// never too little), and the log says so.
    package func refund(owner: UUID, bytes: Int64, logger: Logger) async {
        guard bytes > 0 else { return }
        do {
            try await charge(owner: owner, bytes: -bytes)
        } catch {
            logger.error(
                "a quota refund failed; the user stays charged",
                metadata: ["user_id": "\(owner)", "bytes": "\(bytes)", "error": "\(error)"]
            )
        }
    }

    /// `refund` of each user's bytes, as a removed account or member hands them back.
    package func refund(_ refunds: [(ownerID: UUID, bytes: Int64)], logger: Logger) async {
        for refund in refunds { await self.refund(owner: refund.ownerID, bytes: refund.bytes, logger: logger) }
    }
}

/// `StorageQuota` on filesystem's ledger: `POST /internal/usage/{user}` on its internal listener, with a service token.
package struct FilesystemQuota: StorageQuota {
    private let filesystem: ServiceClient
    private let tokens: ServiceTokenProvider

    package init(filesystem: ServiceClient, tokens: ServiceTokenProvider) {
        self.filesystem = filesystem
        self.tokens = tokens
    }

    package func charge(owner: UUID, bytes: Int64) async throws {
        guard bytes != 0 else { return }
        let (status, answer) = try await filesystem.postJSON(
            "/internal/usage/\(owner.uuidString.lowercased())",
            UsageChargeRequest(bytes: bytes),
            bearer: try await tokens.token()
        )
        if status.code == 413 {
            // Filesystem's own words say how many bytes are left; the caller sees the same 413.
            let message =
                (try? WireJSON.decode(ErrorBody.self, from: answer))?.error.message
                ?? "this does not fit your quota"
            throw APIError(.contentTooLarge, code: "quota_exceeded", message: message)
        }
        guard (200..<300).contains(status.code) else {
            throw ServiceCallError(status: Int(status.code), body: String(buffer: answer))
        }
    }
}
