import Foundation
import Hummingbird
import Logging
import NIOCore
import StrypeAgentWire
import StrypeCore
import StrypeService

/// Seed chunks on array members, for the shared seed routes: the online members with room take copies, the roomiest
/// first.
struct MemberSeeds: SeedBackends {
    let core: ArrayCore

    static let maximumChunkSize = AgentFrameCodec.maximumPayloadBytes
    static let backendLabel = "member_id"
    static let unavailable = APIError(
        .serviceUnavailable,
        code: "chunk_unavailable",
        message: "no member holding this chunk is online"
    )
    var quota: any StorageQuota { core.quota }
    var logger: Logger { core.logger }

    func candidates(owner: UUID, replicas: Int, size: Int) async throws -> [MemberRecord] {
        let visible = try await core.members.visible(to: owner)
        let online = try await core.online(visible.map(\.id))
        let reachable = visible.filter { online.contains($0.id) }
        guard reachable.count >= replicas else {
            throw APIError.insufficientBackends(
                "\(replicas) replicas need \(replicas) online members; \(reachable.count) available"
            )
        }
        let candidates = reachable.filter { $0.free >= size }.sorted { $0.free > $1.free }
        guard candidates.count >= replicas else {
            throw APIError(
                .insufficientStorage,
                code: "insufficient_storage",
                message: "\(replicas) replicas need \(replicas) online members with room; \(candidates.count) available"
            )
        }
        return candidates
    }

    func chargedSize(chunkID: String, owner: UUID) async throws -> Int64? {
        try await core.members.chargedSeedSize(keys: Self.keys(chunkID, owner: owner), ownerID: owner)
    }

    func write(
        _ body: ByteBuffer,
        sha256: String,
        chunkID: String,
        to member: MemberRecord,
        owner: UUID,
        by principal: Principal
    ) async throws -> UUID {
        let key = try core.storedKey("chunks/\(chunkID)", on: member, for: principal)
        var header = AgentFrameHeader(op: .put, id: 0)
        header.key = key
        header.sha256 = sha256
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
        return member.id
    }

    func failed(_ member: MemberRecord, id: UUID, error: any Error) async {}

    func id(of member: MemberRecord) -> UUID { member.id }

    func stored(chunkID: String, size: Int64, sha256: String, on members: [UUID]) -> ArraySeedResponse {
        ArraySeedResponse(chunkID: chunkID, size: size, sha256: sha256, replicas: members)
    }

    func holders(chunkID: String, owner: UUID) async throws -> [(memberID: UUID, key: String)] {
        try await core.members.holders(keys: Self.keys(chunkID, owner: owner), ownerID: owner)
    }

    /// From the member, when it is usable and online and its copy matches the recorded SHA-256; a copy that does not
    /// is reported lost.
    func read(_ holder: (memberID: UUID, key: String), by principal: Principal, context: StrypeRequestContext)
        async throws -> Response?
    {
        guard (try? await core.usableMember(holder.memberID, by: principal)) != nil,
            let recorded = try await core.members.object(memberID: holder.memberID, key: holder.key)
        else { return nil }
        var header = AgentFrameHeader(op: .get, id: 0)
        header.key = holder.key
        guard let reply = try? await core.exchange(holder.memberID, header, expectedBytes: recorded.size) else {
            return nil
        }
        guard AuditChallenges.sha256(reply.payload) == recorded.sha256 else {
            await core.markLost(holder.memberID, key: holder.key, reason: "the member returned bytes that do not match")
            return nil
        }
        return .chunk(.init(byteBuffer: reply.payload), length: Int64(reply.payload.readableBytes))
    }

    /// Where an owner's seed chunk is stored: under its id on their own members, in their namespace on shared ones.
    private static func keys(_ chunkID: String, owner: UUID) -> [String] {
        ["chunks/\(chunkID)", "users/\(owner.uuidString.lowercased())/chunks/\(chunkID)"]
    }
}
