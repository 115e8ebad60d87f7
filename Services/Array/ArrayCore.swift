import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import StrypeAgentWire
import StrypeCore
import StrypeService
import Synchronization

/// The agents connected to this instance, by member id.
final class ConnectionTable: Sendable {
    private let connections = Mutex<[UUID: AgentConnection]>([:])

    subscript(memberID: UUID) -> AgentConnection? { connections.withLock { $0[memberID] } }

    /// Makes `connection` the member's connection here; returns the one it replaces.
    func replace(with connection: AgentConnection) -> AgentConnection? {
        connections.withLock { $0.updateValue(connection, forKey: connection.memberID) }
    }

    /// Forgets `connection` unless a newer one of the same member took its place.
    func remove(_ connection: AgentConnection) {
        connections.withLock { table in
            if table[connection.memberID] === connection { table[connection.memberID] = nil }
        }
    }

    var all: [AgentConnection] { connections.withLock { Array($0.values) } }
}

/// What array's routes and its WebSocket endpoint share.
struct ArrayCore: Sendable {
    let members: MemberRepository
    let connections: ConnectionTable
    let presence: MemberPresence
    let auth: ServiceClient
    let http: HTTPClient
    let serviceTokens: ServiceTokenProvider
    /// The base deadline of a request to an agent; it grows with the request's size.
    let requestTimeout: Duration
    let logger: Logger
    /// Where the bytes users store themselves (member objects, seed chunks) are charged against their quota.
    let quota: any StorageQuota
    /// Members as services last read them, for a second: chunk reaches a member once per shard, and reading its
    /// row each time was most of the statements of a transfer. A member removed meanwhile has its connection
    /// closed, so a request that still gets through finds it offline.
    let servedMembers = ExpiringCache<UUID, MemberRecord>(lifetime: .seconds(1), maximumEntries: 100_000)

    /// Asks the owning instance to close a member's connection (removal), published to every instance.
    static let closeChannel = "array:members-closed"
    /// Agent tokens revoked at auth.
    static let agentRevokedChannel = "auth:agents-revoked"

    /// Sends a request to a member wherever it is connected: here, or through the instance that holds it.
    func exchange(
        _ memberID: UUID,
        _ header: AgentFrameHeader,
        payload: ByteBuffer = ByteBuffer(),
        expectedBytes: Int64 = 0,
        forwarded: Bool = false
    ) async throws -> AgentMessage {
        let timeout = AgentConnection.timeout(base: requestTimeout, bytes: Int64(payload.readableBytes) + expectedBytes)
        if let connection = connections[memberID] {
            return try await connection.call(header, payload: payload, timeout: timeout)
        }
        guard !forwarded, let instance = try await presence.locate(memberID), instance != presence.instanceURL else {
            throw AgentCallError.offline("the member is offline")
        }
        return try await forward(memberID, header, payload: payload, to: instance, timeout: timeout)
    }

    /// Relays one frame to the instance holding the member and returns its reply frame.
    private func forward(
        _ memberID: UUID,
        _ header: AgentFrameHeader,
        payload: ByteBuffer,
        to instance: String,
        timeout: Duration
    ) async throws -> AgentMessage {
        var body = ByteBuffer(bytes: AgentFrameCodec.encodeHeader(header, payloadCount: payload.readableBytes))
        body.writeImmutableBuffer(payload)
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(try await serviceTokens.token())")
        headers.add(name: "Content-Type", value: "application/octet-stream")
        let response: HTTPClientResponse
        do {
            response = try await ServiceClient(baseURL: instance, http: http).send(
                .POST,
                "/internal/members/\(memberID.uuidString.lowercased())/frames",
                headers: headers,
                body: .bytes(body),
                timeout: .nanoseconds(timeout.nanoseconds + 5_000_000_000)
            )
        } catch {
            throw AgentCallError.offline("the array instance holding the member is unreachable")
        }
        let bytes = try await response.body.collect(upTo: AgentTransport.maximumMessageBytes)
        switch response.status.code {
        case 200:
            let reply = try AgentMessage(decoding: bytes)
            guard reply.isSuccess else {
                throw AgentCallError.refused(
                    status: reply.header.status ?? AgentStatus.failed,
                    message: reply.header.error ?? "the member refused"
                )
            }
            return reply
        case 504: throw AgentCallError.timedOut(seconds: Int(timeout.components.seconds))
        default: throw AgentCallError.offline("the member is offline")
        }
    }

    /// Gives `bytes` back to the owner's quota (see `StorageQuota.refund`).
    func refund(owner: UUID, bytes: Int64) async {
        await quota.refund(owner: owner, bytes: bytes, logger: logger)
    }

    /// Removes a member and refunds what users were charged for on it: their objects, and seed chunks whose last
    /// copy it held. False when there was no such member.
    func removeMember(_ id: UUID) async throws -> Bool {
        guard let refunds = try await members.removeRefunding(id: id) else { return false }
        await quota.refund(refunds, logger: logger)
        return true
    }

    /// A member the principal may use: its own, a shared one, or any for a service; 404 otherwise.
    func usableMember(_ id: UUID, by principal: Principal) async throws -> MemberRecord {
        if principal.isService, let member = servedMembers.get(id), !member.removed { return member }
        let found = try await members.find(id: id)
        if principal.isService, let found { servedMembers.put(id, found) }
        guard let member = found, !member.removed,
            BackendAccess.mayUse(ownerID: member.ownerID, shared: member.shared, by: principal)
        else { throw APIError.notFound("no such member") }
        return member
    }

    /// The key an object is stored under (`BackendAccess.storedKey`), checked before and after the namespace.
    func storedKey(_ key: String, on member: MemberRecord, for principal: Principal) throws -> String {
        if let problem = StorageKey.problem(with: key) { throw APIError.invalidField("key", problem) }
        let stored = try BackendAccess.storedKey(key, ownerID: member.ownerID, for: principal)
        if let problem = StorageKey.problem(with: stored) { throw APIError.invalidField("key", problem) }
        return stored
    }

    /// Whether each member is connected to some instance now.
    func online(_ ids: [UUID]) async throws -> Set<UUID> {
        var online: Set<UUID> = []
        for id in ids {
            // Without Redis a member connected elsewhere is unknown, not offline: the error goes to the caller
            // (a 503), so chunk never concludes there is no storage while Redis restarts.
            if connections[id] != nil {
                online.insert(id)
            } else if try await presence.locate(id) != nil {
                online.insert(id)
            }
        }
        return online
    }

    /// Records an object the member failed to prove it holds, and tells chunk.
    func markLost(_ memberID: UUID, key: String, reason: String) async {
        do {
            try await members.markLost(memberID: memberID, key: key, reason: reason)
            let event = LostObjectEvent(memberID: memberID, key: key, reason: reason)
            _ = try await presence.redis.publish(
                LostObjectEvent.channel,
                String(decoding: try WireJSON.encode(event), as: UTF8.self)
            )
        } catch {
            logger.error("could not record a lost object", metadata: ["member_id": "\(memberID)", "error": "\(error)"])
        }
        logger.warning("object lost", metadata: ["member_id": "\(memberID)", "key": "\(key)", "reason": "\(reason)"])
    }
}

extension MemberResponse: ResponseEncodable {}
extension MemberObjectResponse: ResponseEncodable {}
extension AuditResponse: ResponseEncodable {}
extension ArraySeedResponse: ResponseEncodable {}

extension AgentCallError {
    /// What an HTTP caller sees.
    var apiError: APIError {
        switch self {
        case .offline(let reason): APIError(.serviceUnavailable, code: "member_offline", message: reason)
        case .timedOut(let seconds):
            APIError(.gatewayTimeout, code: "member_timeout", message: "the member did not answer within \(seconds) s")
        case .refused(let status, let message):
            switch status {
            case AgentStatus.notFound: APIError.notFound("no such object on the member")
            case AgentStatus.insufficientSpace:
                APIError(.insufficientStorage, code: "insufficient_storage", message: message)
            case AgentStatus.invalid: APIError.badRequest(message)
            default: APIError(.badGateway, code: "member_error", message: "the member failed: \(message)")
            }
        }
    }
}

extension ArrayCore {
    /// The object key of a route's `**`, checked.
    static func objectKey(_ context: StrypeRequestContext) throws -> String {
        let key = context.parameters.getCatchAll().joined(separator: "/")
        if let problem = StorageKey.problem(with: key) { throw APIError.invalidField("key", problem) }
        return key
    }

    /// The member of the route's `{id}` (if the caller may use it), the key stored for its `**`, and the caller.
    func objectTarget(_ context: StrypeRequestContext) async throws -> (MemberRecord, String, Principal) {
        let principal = try context.requirePrincipal()
        let member = try await usableMember(try context.uuidParameter("id", resource: "member"), by: principal)
        return (member, try storedKey(try Self.objectKey(context), on: member, for: principal), principal)
    }
}
