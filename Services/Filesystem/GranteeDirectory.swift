import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import StrypeCore
import StrypeService

/// Who may be granted a directory, and which groups a user is in: auth's answers.
protocol GranteeDirectory: Sendable {
    /// The active user with this email, or nil.
    func user(email: String) async throws -> Grantee?
    /// The group with this name, or nil.
    func group(name: String) async throws -> Grantee?
    /// The ids of the user's groups (kept for a few seconds: a membership change reaches grants that late).
    func groups(of user: UUID) async throws -> [UUID]
    /// Whether the user exists, asked with the caller's own credentials (an admin's bearer token).
    func userExists(_ id: UUID, authorization: String) async throws -> Bool
    /// Whether the user is active (neither disabled nor deleted); the answer is kept for 30 seconds. 503 when auth
    /// cannot answer: callers refuse rather than assume.
    func isActive(_ user: UUID) async throws -> Bool
}

/// `GranteeDirectory` over auth's `/lookup` and `/users/{id}/groups`, called with filesystem's service token.
struct AuthGranteeDirectory: GranteeDirectory {
    let auth: ServiceClient
    let tokens: ServiceTokenProvider
    let memberships = ExpiringCache<UUID, [UUID]>(lifetime: .seconds(5))
    /// Share links and download tickets ask per request; a disabled user's reach ends at most this late.
    let activity = ExpiringCache<UUID, Bool>(lifetime: .seconds(30))

    func user(email: String) async throws -> Grantee? {
        try await lookUp("/lookup/user?email=\(Self.query(email))")
    }

    func group(name: String) async throws -> Grantee? {
        try await lookUp("/lookup/group?name=\(Self.query(name))")
    }

    func groups(of user: UUID) async throws -> [UUID] {
        try await memberships.value(for: user) {
            let body = try await get("/users/\(user.uuidString.lowercased())/groups")
            guard let body else { return [] }
            return try WireJSON.decode(Items<GroupSummary>.self, from: body).items.map(\.id)
        }
    }

    func userExists(_ id: UUID, authorization: String) async throws -> Bool {
        try await get("/users/\(id.uuidString.lowercased())", authorization: authorization) != nil
    }

    func isActive(_ user: UUID) async throws -> Bool {
        do {
            // Auth's lookup answers active users only: a disabled or deleted one is not found.
            return try await activity.value(for: user) {
                try await self.lookUp("/lookup/user?id=\(user.uuidString.lowercased())") != nil
            }
        } catch {
            throw APIError(
                .serviceUnavailable,
                code: "auth_unavailable",
                message: "whether its owner may still share cannot be checked now; retry shortly"
            )
        }
    }

    private func lookUp(_ path: String) async throws -> Grantee? {
        try await get(path).map { try WireJSON.decode(Grantee.self, from: $0) }
    }

    /// The body of a 200, nil for a 404 or 400 (no such user or group, or a name auth refuses); asked with
    /// filesystem's service token unless `authorization` is given.
    private func get(_ path: String, authorization: String? = nil) async throws -> ByteBuffer? {
        var headers = HTTPHeaders()
        if let authorization {
            headers.add(name: "Authorization", value: authorization)
        } else {
            headers.add(name: "Authorization", value: "Bearer \(try await tokens.token())")
        }
        let response = try await auth.send(.GET, path, headers: headers)
        let body = try await response.body.collect(upTo: 1 << 20)
        switch response.status.code {
        case 200: return body
        case 400, 404: return nil
        default:
            throw APIError(.badGateway, code: "auth_failed", message: "auth answered \(response.status.code)")
        }
    }

    private static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}
