import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StrypeAgentWire
import StrypeCore
import StrypeService

/// Objects on array members, sent to and read from the agents, for the shared object routes. The agent checks a
/// put's bytes against `X-Content-SHA256` (computed here when not sent) and hashes what it reads; a service that
/// checks the bytes itself (`X-Integrity: caller`: chunk authenticates every chunk) is spared both.
struct MemberObjects: BackendObjects {
    let core: ArrayCore

    static let route = "/members/{id}/objects"
    static let maximumObjectSize: (bytes: Int64, message: String) = (
        AgentFrameCodec.maximumPayloadBytes, "an object is at most 64 MiB"
    )
    /// `X-Integrity: caller` from a service: it checks what it reads itself, so the agent neither re-hashes a put
    /// against `X-Content-SHA256` (still recorded) nor hashes a get.
    static let integrityHeader = HTTPField.Name("X-Integrity")!
    var quota: any StorageQuota { core.quota }
    var logger: Logger { core.logger }

    func backend(_ context: StrypeRequestContext, for principal: Principal) async throws -> MemberRecord {
        try await core.usableMember(try context.uuidParameter("id", resource: "member"), by: principal)
    }

    func clientKey(_ context: StrypeRequestContext) throws -> String { try ArrayCore.objectKey(context) }

    func storedKey(_ key: String, on member: MemberRecord, for principal: Principal) throws -> String {
        try core.storedKey(key, on: member, for: principal)
    }

    func open(_ member: MemberRecord) async throws -> MemberRecord { member }

    /// Sent to the agent once whole (at most 64 MiB), answered once it is on the member's disk.
    func write(_ request: Request, length: Int64, sha256: String?, key: String, on member: MemberRecord, by: Principal)
        async throws -> (size: Int64, sha256: String)
    {
        // Into one buffer of the declared size: collecting into the first piece made it copy as it grew.
        var data = ByteBufferAllocator().buffer(capacity: Int(length))
        try await request.body.collect(upTo: Int(length), into: &data)
        try Request.checkComplete(received: data.readableBytes, declared: length)
        var header = AgentFrameHeader(op: .put, id: 0)
        header.key = key
        let digest = sha256 ?? AuditChallenges.sha256(data)
        if sha256 == nil || !Self.callerChecks(request, by) { header.sha256 = digest }
        do {
            _ = try await core.exchange(member.id, header, payload: data)
        } catch AgentCallError.refused(AgentStatus.checksumMismatch, _) {
            throw APIError(.badRequest, code: "checksum_mismatch", message: "the body does not match X-Content-SHA256")
        } catch let error as AgentCallError {
            throw error.apiError
        }
        return (length, digest)
    }

    /// A shard chunk writes over a user's object refunds that user too: the bytes are no longer theirs.
    func record(_ written: (size: Int64, sha256: String), key: String, on member: MemberRecord, by principal: Principal)
        async throws -> (ownerID: UUID, bytes: Int64)?
    {
        let object = ObjectRecord(
            memberID: member.id,
            key: key,
            size: written.size,
            sha256: written.sha256,
            challenges: [],
            lost: false
        )
        let replaced = try await core.members.recordObject(
            object,
            ownerID: principal.userID ?? member.ownerID,
            chargedTo: principal.isService ? nil : principal.userID,
            seedCharged: false
        )
        return replaced.map { ($0.ownerID, $0.bytes) }
    }

    func stored(_ written: (size: Int64, sha256: String), key: String, on member: MemberRecord) -> MemberObjectResponse
    {
        MemberObjectResponse(memberID: member.id, key: key, size: written.size, sha256: written.sha256)
    }

    /// The bytes, whole. A copy that no longer matches the recorded SHA-256 (bit rot) is reported lost and answered
    /// 502. An agent lying about its hash is caught end to end by chunk, which checks every shard and authenticates it
    /// with AES-GCM; so chunk's reads (`X-Integrity: caller`) are neither hashed by the agent nor looked up here.
    func read(_ request: Request, key: String, on member: MemberRecord, context: StrypeRequestContext) async throws
        -> Response
    {
        let callerChecks = Self.callerChecks(request, try context.requirePrincipal())
        var header = AgentFrameHeader(op: .get, id: 0)
        header.key = key
        if callerChecks { header.digest = false }
        // A caller that checks the bytes itself needs nothing of the record; its size only sets the deadline.
        let recorded = callerChecks ? nil : try await core.members.object(memberID: member.id, key: key)
        let reply: AgentMessage
        do {
            reply = try await core.exchange(
                member.id,
                header,
                expectedBytes: callerChecks ? AgentFrameCodec.maximumPayloadBytes : recorded?.size ?? 0
            )
        } catch let error as AgentCallError {
            throw error.apiError
        }
        if let recorded, !callerChecks, reply.header.sha256 != recorded.sha256 {
            await core.markLost(member.id, key: key, reason: "the member returned bytes that do not match")
            throw APIError(.badGateway, code: "corrupt_object", message: "the member returned a damaged copy")
        }
        var headers: HTTPFields = [
            .contentType: "application/octet-stream", .contentLength: String(reply.payload.readableBytes),
        ]
        headers[ObjectsController<Self>.sha256Header] = reply.header.sha256
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: reply.payload))
    }

    /// 200 with `Content-Length` and `X-Content-SHA256`, or 404.
    func stat(key: String, on member: MemberRecord) async throws -> Response {
        var header = AgentFrameHeader(op: .stat, id: 0)
        header.key = key
        do {
            let reply = try await core.exchange(member.id, header)
            var headers: HTTPFields = [.contentLength: String(reply.header.size ?? 0)]
            headers[ObjectsController<Self>.sha256Header] = reply.header.sha256
            return Response(status: .ok, headers: headers)
        } catch let error as AgentCallError {
            throw error.apiError
        }
    }

    /// A seed chunk's last copy refunds its owner.
    func remove(key: String, on member: MemberRecord) async throws -> (ownerID: UUID, bytes: Int64)? {
        var header = AgentFrameHeader(op: .delete, id: 0)
        header.key = key
        do {
            _ = try await core.exchange(member.id, header)
        } catch AgentCallError.refused(let status, _) where status == AgentStatus.notFound {
            // Already gone is what the caller wanted.
        } catch let error as AgentCallError {
            throw error.apiError
        }
        return try await core.members.deleteObjectRefunding(memberID: member.id, key: key)
    }

    /// Whether a service asked to check the bytes itself (`X-Integrity: caller`); a user's request always is checked.
    static func callerChecks(_ request: Request, _ principal: Principal) -> Bool {
        principal.isService && request.headers[integrityHeader] == "caller"
    }
}
