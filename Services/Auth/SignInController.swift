import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/register`, `/login`, `/refresh`, `/logout` and `/logout-all`: becoming a user and holding a session.
struct SignInController: RouteController {
    let core: AuthCore
    /// Checks the access tokens these routes are handed in a body or as a bare Bearer (not behind the middleware).
    let verifier: AccessTokenVerifier

    func addRoutes(to routes: ServiceRoutes) {
        routes.router
            .post("/register", use: register)
            .post("/login", use: login)
            .post("/refresh", use: refresh)
            .post("/logout", use: logout)
        routes.authenticated("/logout-all").post(use: logoutAll)
    }

    /// `POST /register {email,password,name,setup_token?,invitation?}` → 201 user. Nobody becomes admin by being
    /// first: only `ADMIN_EMAIL` with `ADMIN_SETUP_TOKEN`, while no enabled admin exists (in every mode).
    /// `REGISTRATION=invite` needs an invitation, `closed` refuses everyone else.
    @Sendable func register(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        UserResponse
    > {
        let body = try await request.decode(as: RegisterRequest.self, context: context)
        let email = try InputRules.email(body.email)
        let password = try InputRules.password(body.password)
        let name = try InputRules.name(body.name)
        let settings = core.settings
        let reserved = email == settings.adminEmail
        var policy = RegistrationPolicy(reservedAdmin: reserved, mode: settings.registration)
        if reserved, let expected = settings.adminSetupToken, let given = body.setupToken {
            policy.setupTokenValid = given.utf8.count <= 1024 && OpaqueToken.constantTimeEquals(given, expected.value)
        }
        // Refuse what cannot succeed before paying for a hash; the reserved address is decided in the transaction.
        if !reserved {
            switch settings.registration {
            case .open:
                break
            case .invite:
                guard let invitation = body.invitation, !invitation.isEmpty else {
                    throw APIError(
                        .forbidden,
                        code: "invitation_required",
                        message: "registration is by invitation; ask an admin for one",
                        field: "invitation"
                    )
                }
            case .closed:
                throw APIError.forbidden("registration is closed; ask an admin for an account")
            }
        }
        if let invitation = body.invitation, settings.registration == .invite {
            guard invitation.hasPrefix(InvitationsController.tokenPrefix), invitation.utf8.count <= 256 else {
                throw UserRepository.invalidInvitation
            }
            policy.invitationDigest = OpaqueToken.digest(invitation)
        }
        let user = try await core.users.create(
            email: email,
            name: name,
            passwordHash: try await core.hasher.hash(password),
            roles: [Role.user],
            registration: policy
        )
        context.logger.info("user registered", metadata: ["user_id": "\(user.id)", "admin": "\(user.isAdmin)"])
        return EditedResponse(status: .created, response: try await core.response(for: user))
    }

    /// `POST /login {email,password}` → tokens. Unknown email and wrong password answer alike, in alike time.
    @Sendable func login(_ request: Request, context: StrypeRequestContext) async throws -> TokenPair {
        let body = try await request.decode(as: LoginRequest.self, context: context)
        let email = try InputRules.email(body.email)
        guard !body.password.isEmpty, body.password.utf8.count <= InputRules.passwordMaximumBytes else {
            throw APIError.invalidField("password", "must be 1 to \(InputRules.passwordMaximumBytes) bytes")
        }
        let address = request.clientAddress(context)
        try await core.limiter.check(email: email, address: address)
        let user = try await core.users.find(email: email)
        let matches: Bool
        if let user {
            matches = await core.hasher.verify(body.password, against: user.passwordHash)
        } else {
            await core.hasher.verifyDummy(body.password)
            matches = false
        }
        guard let user, matches else {
            try await core.limiter.recordFailure(email: email, address: address)
            throw APIError.unauthorized("the email or the password is wrong", code: "invalid_credentials")
        }
        guard !user.disabled else { throw APIError.forbidden("this account is disabled") }
        try await core.limiter.recordSuccess(email: email)
        context.logger.info("signed in", metadata: ["user_id": "\(user.id)"])
        return try await core.startSession(for: user)
    }

    /// `POST /refresh {refresh_token}` → new tokens; replaying a rotated token ends its whole session.
    @Sendable func refresh(_ request: Request, context: StrypeRequestContext) async throws -> TokenPair {
        let body = try await request.decode(as: RefreshRequest.self, context: context)
        guard let token = body.refreshToken, token.hasPrefix(OpaqueToken.refreshPrefix), token.utf8.count <= 256 else {
            throw APIError.invalidField("refresh_token", "must be a refresh token from /login or /refresh")
        }
        let next = OpaqueToken.generate(prefix: OpaqueToken.refreshPrefix)
        switch try await core.sessions.rotate(
            tokenDigest: OpaqueToken.digest(token),
            newDigest: OpaqueToken.digest(next),
            lifetime: core.settings.refreshTokenLifetime
        ) {
        case .rotated(let userID, let family):
            guard let user = try await core.users.find(id: userID), !user.disabled else {
                throw APIError.unauthorized("this account no longer exists or is disabled", code: "account_unavailable")
            }
            return try await core.tokens(for: user, session: family, refresh: next)
        case .reused(let userID, let family):
            context.logger.warning(
                "refresh token reused; session revoked",
                metadata: ["user_id": "\(userID)", "session": "\(family)"]
            )
            await core.announceRevoked(sessions: [family])
            throw APIError.unauthorized("this refresh token was already used; sign in again", code: "token_reused")
        case .invalid:
            throw APIError.unauthorized("the refresh token is not valid; sign in again", code: "invalid_token")
        }
    }

    /// `POST /logout {refresh_token}` (or with the session's access token) → 204; ends the session everywhere.
    /// 503 `revocation_unavailable`, changing nothing, while Redis cannot carry the revocation to other services.
    @Sendable func logout(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let body = try? await request.decode(as: RefreshRequest.self, context: context)
        if let token = body?.refreshToken {
            guard let session = try await core.sessions.session(ofToken: OpaqueToken.digest(token)) else {
                throw APIError.unauthorized("the refresh token is not valid", code: "invalid_token")
            }
            try await core.requireRevocationChannel()
            if try await core.sessions.revoke(familyID: session.familyID, userID: session.userID) {
                await core.announceRevoked(sessions: [session.familyID])
            }
            return .noContent
        }
        guard let bearer = request.bearerToken else {
            throw APIError.invalidField("refresh_token", "is required (or send the access token as Bearer)")
        }
        let principal = try await verifier.verify(bearer)
        guard let user = principal.userID, let session = principal.sessionID.flatMap(UUID.init(uuidString:)) else {
            throw APIError.forbidden("this token has no session to end")
        }
        try await core.requireRevocationChannel()
        if try await core.sessions.revoke(familyID: session, userID: user) {
            await core.announceRevoked(sessions: [session])
        }
        return .noContent
    }

    /// `POST /logout-all {agents?}` → 204: "sign out everywhere": ends every session of the caller, this one
    /// included, and with `agents: true` revokes every agent token too.
    @Sendable func logoutAll(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let user = try await core.currentUser(context)
        // An empty body means sessions only.
        let agents = (try? await request.decode(as: LogoutAllRequest.self, context: context))?.agents ?? false
        try await core.requireRevocationChannel()
        try await core.endSessions(of: user.id)
        if agents { try await core.revokeAgents(of: user.id) }
        context.logger.info(
            "signed out everywhere",
            metadata: ["user_id": "\(user.id)", "agents": "\(agents)"]
        )
        return .noContent
    }
}
