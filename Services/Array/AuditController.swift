import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StrypeAgentWire
import StrypeCore
import StrypeService

/// `/members/{id}/audit`: proof that a member still holds an object.
struct AuditController: RouteController {
    let core: ArrayCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/members/{id}/audit").post("/**", use: audit)
    }

    /// `POST …/audit/{key}` → `{status: held|lost, method}`: a precomputed challenge answered without moving the
    /// data, or, when none is left (the first audit of an object), a read-back checked against the recorded SHA-256,
    /// which prepares the next challenges.
    @Sendable func audit(_ request: Request, context: StrypeRequestContext) async throws -> AuditResponse {
        let (member, key, _) = try await core.objectTarget(context)
        guard let recorded = try await core.members.object(memberID: member.id, key: key) else {
            throw APIError.notFound("no object recorded under this key")
        }
        let clientKey = try ArrayCore.objectKey(context)
        let verdict: (held: Bool, method: String, reason: String?)
        do {
            verdict = try await prove(recorded, on: member)
        } catch let error as AgentCallError {
            guard case .refused(AgentStatus.notFound, _) = error else { throw error.apiError }
            verdict = (false, "challenge", "the member no longer has it")
        }
        if !verdict.held {
            await core.markLost(member.id, key: key, reason: verdict.reason ?? "audit failed")
        }
        return AuditResponse(
            memberID: member.id,
            key: clientKey,
            status: verdict.held ? "held" : "lost",
            method: verdict.method,
            reason: verdict.reason
        )
    }

    private func prove(_ recorded: ObjectRecord, on member: MemberRecord) async throws -> (Bool, String, String?) {
        if let challenge = try await core.members.takeChallenge(memberID: member.id, key: recorded.key) {
            let parts = challenge.split(separator: ":")
            var header = AgentFrameHeader(op: .audit, id: 0)
            header.key = recorded.key
            header.nonce = String(parts[0])
            let reply = try await core.exchange(member.id, header, expectedBytes: recorded.size)
            let held = reply.header.proof?.lowercased() == String(parts[1])
            return (held, "challenge", held ? nil : "wrong proof of possession")
        }
        var header = AgentFrameHeader(op: .get, id: 0)
        header.key = recorded.key
        let reply = try await core.exchange(member.id, header, expectedBytes: recorded.size)
        guard AuditChallenges.sha256(reply.payload) == recorded.sha256 else {
            return (false, "download", "the stored bytes changed")
        }
        try await core.members.replaceChallenges(
            memberID: member.id,
            key: recorded.key,
            AuditChallenges.make(for: reply.payload)
        )
        return (true, "download", nil)
    }
}
