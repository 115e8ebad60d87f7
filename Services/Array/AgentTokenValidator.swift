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
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        let body = try JSONEncoder().encode(ValidateRequest(token: token))
        let response = try await auth.send(.POST, "/validate", headers: headers, body: .bytes(ByteBuffer(data: body)))
        let bytes = try await response.body.collect(upTo: 64 << 10)
        guard response.status == .ok else {
            if response.status.code >= 500 { throw AgentCallError.offline("auth answered \(response.status.code)") }
            return nil
        }
        let validated = try JSONDecoder().decode(ValidatedToken.self, from: bytes)
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
