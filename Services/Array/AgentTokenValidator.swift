import Foundation
import NIOCore
import NIOHTTP1
import StrypeCore
import StrypeService

/// Asks auth whether an agent token is valid (agent tokens are opaque; only auth can tell).
struct AgentTokenValidator: Sendable {
    let auth: ServiceClient

    /// The member behind a `Bearer csa_…` header, or nil when it is missing, malformed, invalid or revoked.
    func validate(authorization: String?) async throws -> AgentIdentity? {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return nil }
        let token = String(authorization.dropFirst("Bearer ".count))
        guard token.hasPrefix("csa_"), token.utf8.count <= 256 else { return nil }
        let (status, bytes) = try await auth.postJSON("/validate", ValidateRequest(token: token))
        guard status == .ok else {
            if status.code >= 500 { throw AgentCallError.offline("auth answered \(status.code)") }
            return nil
        }
        let validated = try WireJSON.decode(ValidatedToken.self, from: bytes)
        guard let memberID = validated.agentID, let owner = UUID(uuidString: validated.sub) else { return nil }
        return AgentIdentity(memberID: memberID, ownerID: owner, name: validated.agentName ?? "agent")
    }
}

/// Who an agent token speaks for: the member (the token's id) and its owner.
struct AgentIdentity: Sendable {
    let memberID: UUID
    let ownerID: UUID
    let name: String
}
