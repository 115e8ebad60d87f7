import Foundation
import Hummingbird
import NIOCore
import StrypeAgentWire
import StrypeCore
import StrypeService

/// The seed's chunk routes: a chunk written whole to N of the caller's online members, read back from any of them.
struct SeedController: RouteController {
    let core: ArrayCore
    let authentication: AuthenticationMiddleware

    func addRoutes(to router: Router<StrypeRequestContext>) {
        let chunks = router.group().add(middleware: authentication)
        chunks.post("/{chunk}", use: store)
        chunks.get("/{chunk}", use: read)
    }

    /// `POST /{chunk_id}?replicas=N` → 201 with the members that hold it, the roomiest first; 413 `quota_exceeded`
    /// when its size does not fit the caller's quota, 422 when fewer than N members are online, 507 when fewer than N
    /// of them have room for it.
    @Sendable func store(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        ArraySeedResponse
    > {
        let target = try SeedTarget(context)
        let (principal, owner, chunkID) = (target.principal, target.owner, target.chunkID)
        let replicas = try SeedTarget.replicas(request)
        _ = try request.declaredLength(atMost: AgentFrameCodec.maximumPayloadBytes, "a chunk is at most 64 MiB")
        let body = try await request.body.collect(upTo: Int(AgentFrameCodec.maximumPayloadBytes))
        let visible = try await core.members.visible(to: owner)
        let online = try await core.online(visible.map(\.id))
        let reachable = visible.filter { online.contains($0.id) }
        guard reachable.count >= replicas else {
            throw APIError.insufficientBackends(
                "\(replicas) replicas need \(replicas) online members; \(reachable.count) available"
            )
        }
        let candidates = reachable.filter { $0.free >= body.readableBytes }.sorted { $0.free > $1.free }
        guard candidates.count >= replicas else {
            throw APIError(
                .insufficientStorage,
                code: "insufficient_storage",
                message: "\(replicas) replicas need \(replicas) online members with room; \(candidates.count) available"
            )
        }
        // The quota counts a seed chunk's bytes once, whatever its replicas (as for files, whatever their durability);
        // the same chunk written again is charged only what it grew by, and never refunded for shrinking: its other
        // copies may still hold the larger bytes. 413 before anything is written.
        let keys = ["chunks/\(chunkID)", "users/\(owner.uuidString.lowercased())/chunks/\(chunkID)"]
        let previous = try await core.members.chargedSeedSize(keys: keys, ownerID: owner) ?? 0
        let growth = max(0, Int64(body.readableBytes) - previous)
        if growth > 0 { try await core.quota.charge(owner: owner, bytes: growth) }
        let sha256 = AuditChallenges.sha256(body)
        var stored: [UUID] = []
        for member in candidates where stored.count < replicas {
            let key = try core.storedKey("chunks/\(chunkID)", on: member, for: principal)
            var header = AgentFrameHeader(op: .put, id: 0)
            header.key = key
            header.sha256 = sha256
            do {
                _ = try await core.exchange(member.id, header, payload: body)
                let record = ObjectRecord(
                    memberID: member.id,
                    key: key,
                    size: Int64(body.readableBytes),
                    sha256: sha256,
                    challenges: [],
                    lost: false
                )
                try await core.members.recordObject(record, ownerID: owner, chargedTo: nil, seedCharged: true)
                stored.append(member.id)
            } catch {
                context.logger.warning(
                    "chunk replica failed",
                    metadata: ["member_id": "\(member.id)", "error": "\(error)"]
                )
            }
        }
        guard stored.count == replicas else {
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
            response: ArraySeedResponse(
                chunkID: chunkID,
                size: Int64(body.readableBytes),
                sha256: sha256,
                replicas: stored
            )
        )
    }

    /// `GET /{chunk_id}` → the chunk from the first member that has an intact copy.
    @Sendable func read(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let target = try SeedTarget(context)
        let (principal, owner, chunkID) = (target.principal, target.owner, target.chunkID)
        let keys = ["chunks/\(chunkID)", "users/\(owner.uuidString.lowercased())/chunks/\(chunkID)"]
        let holders = try await core.members.holders(keys: keys, ownerID: owner)
        guard !holders.isEmpty else { throw APIError.notFound("no such chunk") }
        for holder in holders {
            guard (try? await core.usableMember(holder.memberID, by: principal)) != nil,
                let recorded = try await core.members.object(memberID: holder.memberID, key: holder.key)
            else { continue }
            var header = AgentFrameHeader(op: .get, id: 0)
            header.key = holder.key
            guard let reply = try? await core.exchange(holder.memberID, header, expectedBytes: recorded.size) else {
                continue
            }
            guard AuditChallenges.sha256(reply.payload) == recorded.sha256 else {
                await core.markLost(
                    holder.memberID,
                    key: holder.key,
                    reason: "the member returned bytes that do not match"
                )
                continue
            }
            return Response(
                status: .ok,
                headers: [
                    .contentType: "application/octet-stream", .contentLength: String(reply.payload.readableBytes),
                ],
                body: .init(byteBuffer: reply.payload)
            )
        }
        throw APIError(
            .serviceUnavailable,
            code: "chunk_unavailable",
            message: "no member holding this chunk is online"
        )
    }
}
