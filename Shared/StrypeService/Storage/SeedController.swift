import Foundation
import Hummingbird
import Logging
import NIOCore
import StrypeCodec
import StrypeCore

/// What one kind of linked storage does for the seed's chunk routes (`SeedController`): cloud accounts and array
/// members each provide one; the routes, the quota's charge and the replica loop are written once.
package protocol SeedBackends: Sendable {
    associatedtype Backend: Sendable
    associatedtype Holder: Sendable
    associatedtype Stored: ResponseEncodable

    /// The largest chunk the route takes.
    static var maximumChunkSize: Int64 { get }
    /// What the log of a failed copy names its backend by (`account_id`, `member_id`).
    static var backendLabel: String { get }
    /// The 503 when no copy could be read.
    static var unavailable: APIError { get }
    var quota: any StorageQuota { get }
    var logger: Logger { get }

    /// The owner's backends that may take `replicas` copies of `size` bytes, in the order to try; 422 when too few
    /// are usable, 507 when too few have room.
    func candidates(owner: UUID, replicas: Int, size: Int) async throws -> [Backend]
    /// What the owner was charged for this chunk so far (its largest size), nil when nothing.
    func chargedSize(chunkID: String, owner: UUID) async throws -> Int64?
    /// Writes and records one copy, charged to the owner; the backend's id.
    func write(_ body: ByteBuffer, sha256: String, chunkID: String, to backend: Backend, owner: UUID, by: Principal)
        async throws -> UUID
    /// Notes a backend's failure to take a copy (its health).
    func failed(_ backend: Backend, id: UUID, error: any Error) async
    func id(of backend: Backend) -> UUID
    /// The answer to a store.
    func stored(chunkID: String, size: Int64, sha256: String, on backends: [UUID]) -> Stored
    /// Where the owner's copies of the chunk are, in the order to try.
    func holders(chunkID: String, owner: UUID) async throws -> [Holder]
    /// The chunk from one holder, nil when it has no intact copy or cannot be reached.
    func read(_ holder: Holder, by: Principal, context: StrypeRequestContext) async throws -> Response?
}

/// The seed's chunk routes, the original API (DESIGN §2): `POST /{chunk_id}?replicas=N` writes a chunk whole to N
/// of the caller's backends, `GET /{chunk_id}` reads it back from any of them. The quota counts a seed chunk's bytes
/// once, whatever its replicas (as for files, whatever their durability); the same chunk written again is charged
/// only what it grew by, and never refunded for shrinking: its other copies may still hold the larger bytes.
package struct SeedController<Backends: SeedBackends>: RouteController {
    package let backends: Backends

    package init(backends: Backends) {
        self.backends = backends
    }

    package func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated().post("/{chunk}", use: store).get("/{chunk}", use: read)
    }

    /// `POST /{chunk_id}?replicas=N` → 201 with the backends that hold it; 413 `quota_exceeded` when its size does
    /// not fit the caller's quota (before anything is written), 422 or 507 as `candidates` says, 507 when fewer than
    /// N could take it.
    @Sendable func store(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        Backends.Stored
    > {
        let target = try SeedTarget(context)
        let (principal, owner, chunkID) = (target.principal, target.owner, target.chunkID)
        let replicas = try SeedTarget.replicas(request)
        let limit = Backends.maximumChunkSize
        _ = try request.declaredLength(atMost: limit, "a chunk is at most 64 MiB")
        // The whole chunk is held once (at most 64 MiB), then written to each backend in turn.
        let body = try await request.body.collect(upTo: Int(limit))
        let candidates = try await backends.candidates(owner: owner, replicas: replicas, size: body.readableBytes)
        let previous = try await backends.chargedSize(chunkID: chunkID, owner: owner) ?? 0
        let growth = max(0, Int64(body.readableBytes) - previous)
        if growth > 0 { try await backends.quota.charge(owner: owner, bytes: growth) }
        let sha256 = body.withUnsafeReadableBytes { Checksum.sha256Hex($0) }
        var stored: [UUID] = []
        for backend in candidates where stored.count < replicas {
            do {
                stored.append(
                    try await backends.write(
                        body,
                        sha256: sha256,
                        chunkID: chunkID,
                        to: backend,
                        owner: owner,
                        by: principal
                    )
                )
            } catch {
                let id = backends.id(of: backend)
                await backends.failed(backend, id: id, error: error)
                context.logger.warning(
                    "chunk replica failed",
                    metadata: [Backends.backendLabel: "\(id)", "error": "\(error)"]
                )
            }
        }
        guard stored.count == replicas else {
            // Copies that were written are stored (and readable) and stay charged; with none, nothing was stored.
            if stored.isEmpty { await backends.quota.refund(owner: owner, bytes: growth, logger: backends.logger) }
            throw APIError(
                .insufficientStorage,
                code: "insufficient_storage",
                message: "only \(stored.count) of \(replicas) replicas could be written"
            )
        }
        return EditedResponse(
            status: .created,
            response: backends.stored(chunkID: chunkID, size: Int64(body.readableBytes), sha256: sha256, on: stored)
        )
    }

    /// `GET /{chunk_id}` → the chunk from the first backend that has an intact copy, trying the next on failure.
    @Sendable func read(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let target = try SeedTarget(context)
        let holders = try await backends.holders(chunkID: target.chunkID, owner: target.owner)
        guard !holders.isEmpty else { throw APIError.notFound("no such chunk") }
        for holder in holders {
            if let response = try await backends.read(holder, by: target.principal, context: context) {
                return response
            }
        }
        throw Backends.unavailable
    }
}

extension Response {
    /// A seed chunk's bytes.
    package static func chunk(_ body: ResponseBody, length: Int64) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/octet-stream", .contentLength: String(length)],
            body: body
        )
    }
}
