import Foundation
import Hummingbird
import NIOCore
import StrypeCore
import StrypeService

/// The seed's chunk routes: a chunk written whole to N of the caller's accounts, read back from any of them.
struct SeedController: RouteController {
    let core: CloudCore
    let authentication: AuthenticationMiddleware
    /// The largest chunk the seed route takes (DESIGN: chunks are at most 64 MiB).
    static let maximumChunkSize = 64 << 20

    func addRoutes(to router: Router<StrypeRequestContext>) {
        let chunks = router.group().add(middleware: authentication)
        chunks.post("/{chunk}", use: store)
        chunks.get("/{chunk}", use: read)
    }

    /// `POST /{chunk_id}?replicas=N` → 201 with the accounts that hold it; 413 `quota_exceeded` when its size does
    /// not fit the caller's quota, 422 when the caller has fewer healthy accounts than N, 507 when fewer than N could
    /// take it.
    @Sendable func store(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        ChunkLocationsResponse
    > {
        let target = try SeedTarget(context)
        let (principal, owner, chunkID) = (target.principal, target.owner, target.chunkID)
        let replicas = try SeedTarget.replicas(request)
        let candidates = try await core.accounts.visible(to: owner).filter { $0.health == "healthy" }
        guard candidates.count >= replicas else {
            throw APIError.insufficientBackends(
                "\(replicas) replicas need \(replicas) healthy accounts; \(candidates.count) available"
            )
        }
        _ = try request.declaredLength(atMost: Int64(Self.maximumChunkSize), "a chunk is at most 64 MiB")
        // The whole chunk is held once (≤ 64 MiB), then written to each account in turn.
        let body = try await request.body.collect(upTo: Self.maximumChunkSize)
        // The quota counts a seed chunk's bytes once, whatever its replicas (as for files, whatever their durability);
        // the same chunk written again is charged only what it grew by, and never refunded for shrinking: its other
        // copies may still hold the larger bytes. 413 before anything is written.
        let previous = try await core.accounts.chargedSeedSize(chunkID: chunkID, ownerID: owner) ?? 0
        let growth = max(0, Int64(body.readableBytes) - previous)
        if growth > 0 { try await core.quota.charge(owner: owner, bytes: growth) }
        var stored: [UUID] = []
        var last: StoredObject?
        for account in candidates where stored.count < replicas {
            do {
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
                stored.append(account.id)
                last = object
            } catch {
                await core.noteHealth(account, error: error)
                context.logger.warning(
                    "chunk replica failed",
                    metadata: ["account_id": "\(account.id)", "error": "\(error)"]
                )
            }
        }
        guard stored.count == replicas, let last else {
            // Copies that were written are stored (and readable) and stay charged; with none, nothing was stored.
            if stored.isEmpty { await core.refund(owner: owner, bytes: growth) }
            throw APIError(
                .insufficientStorage,
                code: "insufficient_storage",
                message: "only \(stored.count) of \(replicas) replicas could be written"
            )
        }
        return EditedResponse(
            status: .created,
            response: ChunkLocationsResponse(chunkID: chunkID, size: last.size, sha256: last.sha256, accounts: stored)
        )
    }

    /// `GET /{chunk_id}` → the chunk from the first account that has it whole, trying the next on failure.
    @Sendable func read(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let target = try SeedTarget(context)
        let (principal, owner, chunkID) = (target.principal, target.owner, target.chunkID)
        let locations = try await core.accounts.chunkLocations(chunkID: chunkID, ownerID: owner)
        guard !locations.isEmpty else { throw APIError.notFound("no such chunk") }
        for location in locations {
            guard let account = try await core.accounts.find(id: location.accountID) else { continue }
            do {
                let key = try core.storedKey("chunks/\(chunkID)", in: account, for: principal)
                let read = try await core.store(for: account).get(key: key, range: nil, context: context)
                guard read.totalSize == location.size else { continue }
                return Response(
                    status: .ok,
                    headers: [.contentType: "application/octet-stream", .contentLength: String(read.totalSize)],
                    body: read.body
                )
            } catch {
                await core.noteHealth(account, error: error)
                context.logger.warning(
                    "chunk replica unreadable",
                    metadata: ["account_id": "\(account.id)", "error": "\(error)"]
                )
            }
        }
        throw APIError(.serviceUnavailable, code: "data_unavailable", message: "no replica of this chunk could be read")
    }
}
