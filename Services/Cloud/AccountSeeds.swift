import Foundation
import Hummingbird
import Logging
import NIOCore
import StrypeCore
import StrypeService

/// Seed chunks on users' cloud accounts, for the shared seed routes: the healthy accounts take copies in turn.
struct AccountSeeds: SeedBackends {
    let core: CloudCore

    /// DESIGN: chunks are at most 64 MiB.
    static let maximumChunkSize: Int64 = 64 << 20
    static let backendLabel = "account_id"
    static let unavailable = APIError(
        .serviceUnavailable,
        code: "data_unavailable",
        message: "no replica of this chunk could be read"
    )
    var quota: any StorageQuota { core.quota }
    var logger: Logger { core.logger }

    func candidates(owner: UUID, replicas: Int, size: Int) async throws -> [AccountRecord] {
        let candidates = try await core.accounts.visible(to: owner).filter { $0.health == "healthy" }
        guard candidates.count >= replicas else {
            throw APIError.insufficientBackends(
                "\(replicas) replicas need \(replicas) healthy accounts; \(candidates.count) available"
            )
        }
        return candidates
    }

    func chargedSize(chunkID: String, owner: UUID) async throws -> Int64? {
        try await core.accounts.chargedSeedSize(chunkID: chunkID, ownerID: owner)
    }

    func write(
        _ body: ByteBuffer,
        sha256: String,
        chunkID: String,
        to account: AccountRecord,
        owner: UUID,
        by principal: Principal
    ) async throws -> UUID {
        let key = try core.storedKey("chunks/\(chunkID)", in: account, for: principal)
        let object = try await core.store(for: account).put(
            key: key,
            length: Int64(body.readableBytes),
            sha256: nil,
            body: BufferSequence([body])
        )
        await core.noteHealth(account, error: nil)
        try await core.accounts.recordChunk(
            chunkID: chunkID,
            accountID: account.id,
            ownerID: owner,
            size: object.size,
            sha256: object.sha256,
            charged: true
        )
        try await core.accounts.addUsage(id: account.id, bytes: object.size, objects: 1)
        return account.id
    }

    func failed(_ account: AccountRecord, id: UUID, error: any Error) async {
        await core.noteHealth(account, error: error)
    }

    func id(of account: AccountRecord) -> UUID { account.id }

    func stored(chunkID: String, size: Int64, sha256: String, on accounts: [UUID]) -> ChunkLocationsResponse {
        ChunkLocationsResponse(chunkID: chunkID, size: size, sha256: sha256, accounts: accounts)
    }

    /// A copy of a seed chunk on an account.
    struct Copy: Sendable {
        var chunkID: String
        var accountID: UUID
        var size: Int64
    }

    func holders(chunkID: String, owner: UUID) async throws -> [Copy] {
        try await core.accounts.chunkLocations(chunkID: chunkID, ownerID: owner).map {
            Copy(chunkID: chunkID, accountID: $0.accountID, size: $0.size)
        }
    }

    /// From the account, when it has the whole chunk; a failure is noted in its health.
    func read(_ location: Copy, by principal: Principal, context: StrypeRequestContext) async throws
        -> Response?
    {
        guard let account = try await core.accounts.find(id: location.accountID) else { return nil }
        do {
            let key = try core.storedKey("chunks/\(location.chunkID)", in: account, for: principal)
            let read = try await core.store(for: account).get(key: key, range: nil, context: context)
            guard read.totalSize == location.size else { return nil }
            return .chunk(read.body, length: read.totalSize)
        } catch {
            await core.noteHealth(account, error: error)
            context.logger.warning(
                "chunk replica unreadable",
                metadata: ["account_id": "\(account.id)", "error": "\(error)"]
            )
            return nil
        }
    }
}
