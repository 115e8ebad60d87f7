import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StrypeAgentWire
import StrypeCore
import StrypeService

/// `/members/{id}/objects`: object I/O on one member, as chunk stores shards: put, get, stat, delete.
struct ObjectsController: RouteController {
    let core: ArrayCore
    let authentication: AuthenticationMiddleware

    static let sha256Header = HTTPField.Name("X-Content-SHA256")!
    /// `X-Integrity: caller` from a service: it checks what it reads itself (chunk authenticates every chunk), so the
    /// agent neither re-hashes a put against `X-Content-SHA256` (still recorded) nor hashes a get.
    static let integrityHeader = HTTPField.Name("X-Integrity")!

    func addRoutes(to router: Router<StrypeRequestContext>) {
        let objects = router.group("/members/{id}/objects").add(middleware: authentication)
        objects.put("/**", use: put)
        objects.get("/**", use: get)
        objects.head("/**", use: head)
        objects.delete("/**", use: delete)
    }

    /// `PUT …/objects/{key}`: `Content-Length` required (at most 64 MiB) → 201 `{member_id, key, size, sha256}` once
    /// the agent has it on disk. The agent checks the bytes against `X-Content-SHA256` (computed here when not sent),
    /// so hashing costs the server nothing on the path chunk uses. A user's object is charged to the user's quota
    /// before its body is read: 413 `quota_exceeded` when it does not fit.
    @Sendable func put(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        MemberObjectResponse
    > {
        let (member, key, principal) = try await core.objectTarget(context)
        let length = try request.requiredLength(
            atMost: AgentFrameCodec.maximumPayloadBytes,
            "an object is at most 64 MiB"
        )
        let expected = request.headers[Self.sha256Header]?.lowercased()
        if let expected, expected.utf8.count != 64 || !expected.allSatisfy(\.isHexDigit) {
            throw APIError.invalidField("X-Content-SHA256", "must be 64 hex digits")
        }
        let callerChecks = expected != nil && Self.callerChecks(request, principal)
        // Shards chunk writes belong to files, which filesystem counts; what a user puts here is charged here.
        // The whole length is charged before the body is read; the object it replaces is refunded to whoever
        // carried it once the new one is recorded, so concurrent writers of one key cannot leave bytes uncharged.
        let chargedTo = principal.isService ? nil : principal.userID
        if let chargedTo, length > 0 { try await core.quota.charge(owner: chargedTo, bytes: length) }
        let sha256: String
        do {
            let data = try await request.body.collect(upTo: Int(length))
            try Request.checkComplete(received: data.readableBytes, declared: length)
            sha256 = expected ?? AuditChallenges.sha256(data)
            var header = AgentFrameHeader(op: .put, id: 0)
            header.key = key
            if !callerChecks { header.sha256 = sha256 }
            do {
                _ = try await core.exchange(member.id, header, payload: data)
            } catch AgentCallError.refused(AgentStatus.checksumMismatch, _) {
                throw APIError(
                    .badRequest,
                    code: "checksum_mismatch",
                    message: "the body does not match X-Content-SHA256"
                )
            } catch let error as AgentCallError {
                throw error.apiError
            }
        } catch {
            if let chargedTo { await core.refund(owner: chargedTo, bytes: length) }
            throw error
        }
        let object = ObjectRecord(
            memberID: member.id,
            key: key,
            size: length,
            sha256: sha256,
            challenges: [],
            lost: false
        )
        let replaced = try await core.members.recordObject(
            object,
            ownerID: principal.userID ?? member.ownerID,
            chargedTo: chargedTo,
            seedCharged: false
        )
        // A shard chunk writes over a user's object refunds that user too: the bytes are no longer theirs.
        if let replaced { await core.refund(owner: replaced.ownerID, bytes: replaced.bytes) }
        return EditedResponse(
            status: .created,
            response: MemberObjectResponse(
                memberID: member.id,
                key: try ArrayCore.objectKey(context),
                size: length,
                sha256: sha256
            )
        )
    }

    /// `GET …/objects/{key}` → the bytes. The agent hashes what it read from its disk; a copy that no longer matches
    /// the recorded SHA-256 (bit rot) is reported lost and answered 502. An agent lying about its hash is caught end to
    /// end by chunk, which checks every shard and authenticates it with AES-GCM; so chunk's reads (`X-Integrity:
    /// caller`) are neither hashed by the agent nor looked up here.
    @Sendable func get(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let (member, key, principal) = try await core.objectTarget(context)
        let callerChecks = Self.callerChecks(request, principal)
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
        headers[Self.sha256Header] = reply.header.sha256
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: reply.payload))
    }

    /// `HEAD …/objects/{key}` → 200 with `Content-Length` and `X-Content-SHA256`, or 404.
    @Sendable func head(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let (member, key, _) = try await core.objectTarget(context)
        var header = AgentFrameHeader(op: .stat, id: 0)
        header.key = key
        do {
            let reply = try await core.exchange(member.id, header)
            var headers: HTTPFields = [.contentLength: String(reply.header.size ?? 0)]
            headers[Self.sha256Header] = reply.header.sha256
            return Response(status: .ok, headers: headers)
        } catch let error as AgentCallError {
            throw error.apiError
        }
    }

    /// `DELETE …/objects/{key}` → 204, also when it was already gone. An object a user put is refunded to the quota
    /// it was charged to (a seed chunk's last copy to its owner); a shard chunk wrote refunds nothing.
    @Sendable func delete(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let (member, key, _) = try await core.objectTarget(context)
        var header = AgentFrameHeader(op: .delete, id: 0)
        header.key = key
        do {
            _ = try await core.exchange(member.id, header)
        } catch AgentCallError.refused(let status, _) where status == AgentStatus.notFound {
            // Already gone is what the caller wanted.
        } catch let error as AgentCallError {
            throw error.apiError
        }
        if let refund = try await core.members.deleteObjectRefunding(memberID: member.id, key: key) {
            await core.refund(owner: refund.ownerID, bytes: refund.bytes)
        }
        return .noContent
    }

    /// Whether a service asked to check the bytes itself (`X-Integrity: caller`); a user's request always is checked.
    static func callerChecks(_ request: Request, _ principal: Principal) -> Bool {
        principal.isService && request.headers[integrityHeader] == "caller"
    }
}
