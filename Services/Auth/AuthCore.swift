import Foundation
import HTTPTypes
import Hummingbird
import Logging
import StrypeCore
import StrypeService

/// Everything auth's controllers share: repositories, hashing, keys, limits, and the acts several routes perform.
struct AuthCore: Sendable {
    let users: UserRepository
    let sessions: SessionRepository
    let agents: AgentTokenRepository
    let groups: GroupRepository
    let invitations: InvitationRepository
    let hasher: Argon2idHasher
    let keys: SigningKeyRing
    let redis: RedisClient
    let limiter: LoginRateLimiter
    let serviceTokenLimiter: ServiceTokenRateLimiter
    /// Revocations recorded in Postgres that Redis did not take yet; `RevocationReannouncer` retries them.
    let unannounced: UnannouncedRevocations
    let settings: AuthSettings
    let serviceSecret: Secret
    let logger: Logger

    /// Agent-token revocations are announced here (agent id), so array closes their connections at once.
    static let agentRevokedChannel = "auth:agents-revoked"

    /// Starts a session for `user`: a new refresh-token family and an access token bound to it.
    func startSession(for user: UserRecord) async throws -> TokenPair {
        let refresh = OpaqueToken.generate(prefix: OpaqueToken.refreshPrefix)
        let family = try await sessions.start(
            userID: user.id,
            tokenDigest: OpaqueToken.digest(refresh),
            expiresAt: refreshExpiry()
        )
        return try await tokens(for: user, session: family, refresh: refresh)
    }

    /// An access token for `user` in `session`, paired with `refresh`.
    func tokens(for user: UserRecord, session: UUID, refresh: String) async throws -> TokenPair {
        let claims = AccessClaims(
            subject: user.id.uuidString.lowercased(),
            email: user.email,
            roles: user.roles,
            scope: Scope.user,
            sessionID: session.uuidString.lowercased()
        )
        return TokenPair(
            accessToken: try await keys.sign(claims),
            refreshToken: refresh,
            expiresIn: Int(AccessClaims.lifetime)
        )
    }

    func refreshExpiry() -> Date {
        Date().addingTimeInterval(TimeInterval(settings.refreshTokenLifetime.components.seconds))
    }

    /// 503 while Redis is unreachable, before anything is revoked: other services learn of revocations only through
    /// Redis, so a revocation made now would leave the session's access tokens working elsewhere for up to 15 minutes
    /// while the caller believed them dead. Nothing has changed when this throws.
    func requireRevocationChannel() async throws {
        let reachable = (try? await redis.ping()) ?? false
        guard reachable else {
            throw APIError(
                .serviceUnavailable,
                code: "revocation_unavailable",
                message: "sessions and agent tokens cannot be revoked right now (Redis is unreachable); nothing was "
                    + "changed; try again shortly"
            )
        }
    }

    /// Tells every service that these sessions' access tokens are no longer good; what Redis does not take now is
    /// kept and retried by `RevocationReannouncer` until it does.
    func announceRevoked(sessions families: [UUID]) async {
        guard !families.isEmpty else { return }
        do {
            try await SessionRevocations.publish(families.map { $0.uuidString.lowercased() }, redis: redis)
        } catch {
            unannounced.add(sessions: families)
            logger.error(
                "could not announce revoked sessions; retrying",
                metadata: ["error": "\(error)", "count": "\(families.count)"]
            )
        }
    }

    /// Tells array that these agent tokens are revoked, so it closes their connections; retried like sessions.
    func announceRevoked(agents ids: [UUID]) async {
        var failed: [UUID] = []
        for id in ids {
            do {
                _ = try await redis.publish(Self.agentRevokedChannel, id.uuidString.lowercased())
            } catch {
                failed.append(id)
            }
        }
        if !failed.isEmpty {
            unannounced.add(agents: failed)
            logger.error("could not announce revoked agent tokens; retrying", metadata: ["count": "\(failed.count)"])
        }
    }

    /// Revokes all of a user's sessions but `keeping`, and announces it.
    func endSessions(of userID: UUID, keeping: UUID? = nil) async throws {
        let families = try await sessions.revokeAll(userID: userID, keeping: keeping)
        await announceRevoked(sessions: families)
    }

    /// Revokes all of a user's agent tokens, and announces each.
    func revokeAgents(of userID: UUID) async throws {
        let ids = try await agents.revokeAll(userID: userID)
        await announceRevoked(agents: ids)
    }

    /// The user as the API shows it.
    func response(for user: UserRecord, withGroups: Bool = false) async throws -> UserResponse {
        UserResponse(
            id: user.id,
            email: user.email,
            name: user.name,
            roles: user.roles,
            disabled: user.disabled,
            groups: withGroups ? try await groups.groups(ofUser: user.id) : nil,
            createdAt: user.createdAt
        )
    }

    /// The signed-in user behind the request; 401 when the account is gone or disabled.
    func currentUser(_ context: StrypeRequestContext) async throws -> UserRecord {
        let principal = try context.requirePrincipal()
        guard let id = principal.userID else { throw APIError.forbidden("this route is for signed-in users") }
        guard let user = try await users.find(id: id), !user.disabled else {
            throw APIError.unauthorized("this account no longer exists or is disabled", code: "account_unavailable")
        }
        return user
    }

    /// Refuses a change that would leave no enabled admin.
    func keepAnAdmin(changing user: UserRecord, stillAdmin: Bool) async throws {
        guard user.isAdmin, !user.disabled, !stillAdmin else { return }
        if try await users.activeAdminCount(excluding: user.id) == 0 {
            throw APIError.conflict("this is the last enabled admin; make another admin first")
        }
    }
}

extension UserResponse: ResponseEncodable {}
extension TokenPair: ResponseEncodable {}
extension GroupResponse: ResponseEncodable {}
extension Grantee: ResponseEncodable {}
extension AgentTokenResponse: ResponseEncodable {}

extension Request {
    /// The client's address as the gateway reports it in `X-Real-IP`, else the connection's peer.
    func clientAddress(_ context: StrypeRequestContext) -> String? {
        if let forwarded = headers[HTTPField.Name("X-Real-IP")!], !forwarded.isEmpty, forwarded.utf8.count <= 64 {
            return forwarded
        }
        return context.remoteAddress
    }
}
