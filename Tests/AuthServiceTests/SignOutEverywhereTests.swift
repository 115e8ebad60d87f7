import Foundation
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import AuthService

extension AuthTests {
    @Suite("session lifetime, signing out everywhere, revocation while Redis is down")
    struct SignOutEverywhere {
        static func agent(_ auth: AuthClient, _ tokens: TokenPair, _ name: String) async throws -> String {
            let created = try await auth.call(
                .post,
                "/agents",
                json: NameRequest(name: name),
                token: tokens.accessToken
            )
            return try #require(try created.decode(AgentTokenResponse.self).token)
        }

        static func validates(_ auth: AuthClient, _ token: String) async throws -> Bool {
            try await auth.call(.post, "/validate", json: ValidateRequest(token: token)).status == .ok
        }

        @Test("refresh tokens die at the session's absolute deadline, however often they were refreshed")
        func absoluteLifetime() async throws {
            let harness = try await AuthHarness(settings: AuthSettings(refreshTokenLifetime: .seconds(4)))
            try await harness.run { auth in
                let first = try await auth.signUp("short@example.com").tokens
                try await Task.sleep(for: .seconds(2))
                let refreshed = try await auth.call(
                    .post,
                    "/refresh",
                    json: RefreshRequest(refreshToken: first.refreshToken)
                )
                #expect(refreshed.status == .ok)
                let second = try refreshed.decode(TokenPair.self)
                // 4.5 s after sign-in, 2.5 s after the refresh: a sliding lifetime would still accept it.
                try await Task.sleep(for: .milliseconds(2500))
                let late = try await auth.call(
                    .post,
                    "/refresh",
                    json: RefreshRequest(refreshToken: second.refreshToken)
                )
                #expect(late.status == .unauthorized)
                #expect(late.error?.code == "invalid_token")
                // A new sign-in starts a new deadline.
                let fresh = try await auth.signIn("short@example.com")
                #expect(
                    try await auth.call(.post, "/refresh", json: RefreshRequest(refreshToken: fresh.refreshToken))
                        .status == .ok
                )
            }
        }

        @Test("a password change keeps agent tokens unless sign_out_agents is true, then revokes them all")
        func passwordChangeAndAgents() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let tokens = try await auth.signUp("agents@example.com").tokens
                let kept = try await Self.agent(auth, tokens, "Desk")
                let changed = try await auth.call(
                    .patch,
                    "/me",
                    json: UpdateMeRequest(password: "second password!", currentPassword: AuthHarness.password),
                    token: tokens.accessToken
                )
                #expect(changed.status == .ok)
                #expect(try await Self.validates(auth, kept), "agents stay unless asked")

                let other = try await auth.signIn("agents@example.com", password: "second password!")
                let changedAgain = try await auth.call(
                    .patch,
                    "/me",
                    json: UpdateMeRequest(
                        password: "third password!!",
                        currentPassword: "second password!",
                        signOutAgents: true
                    ),
                    token: tokens.accessToken
                )
                #expect(changedAgain.status == .ok)
                #expect(try await Self.validates(auth, kept) == false, "sign_out_agents revokes agent tokens")
                #expect(
                    try await auth.call(.post, "/refresh", json: RefreshRequest(refreshToken: other.refreshToken))
                        .status == .unauthorized
                )
                #expect(
                    try await eventually {
                        try await auth.call(.get, "/me", token: other.accessToken).status == .unauthorized
                    }
                )
                #expect(try await auth.call(.get, "/me", token: tokens.accessToken).status == .ok, "this one stays")
            }
        }

        @Test("POST /logout-all ends every session, this one too, and with agents: true every agent token")
        func logoutAll() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let (_, first) = try await auth.signUp("everywhere@example.com")
                let second = try await auth.signIn("everywhere@example.com")
                let agent = try await Self.agent(auth, first, "Laptop")
                #expect(try await auth.call(.post, "/logout-all", raw: "{}").status == .unauthorized)
                let out = try await auth.call(.post, "/logout-all", raw: "{}", token: first.accessToken)
                #expect(out.status == .noContent)
                for session in [first, second] {
                    #expect(
                        try await auth.call(.post, "/refresh", json: RefreshRequest(refreshToken: session.refreshToken))
                            .status == .unauthorized
                    )
                    #expect(
                        try await eventually {
                            try await auth.call(.get, "/me", token: session.accessToken).status == .unauthorized
                        }
                    )
                }
                #expect(try await Self.validates(auth, agent), "agents stay unless asked")

                let third = try await auth.signIn("everywhere@example.com")
                let all = try await auth.call(
                    .post,
                    "/logout-all",
                    json: LogoutAllRequest(agents: true),
                    token: third.accessToken
                )
                #expect(all.status == .noContent)
                #expect(try await Self.validates(auth, agent) == false)
                #expect(
                    try await auth.call(.post, "/refresh", json: RefreshRequest(refreshToken: third.refreshToken))
                        .status == .unauthorized
                )
            }
        }

        @Test("while Redis is down, revoking answers 503 and changes nothing; once it is back, it works")
        func refusedWhileRedisIsDown() async throws {
            let redis = try await RedisServerProcess()
            let harness = try await AuthHarness(redis: redis.url)
            try await harness.run { auth in
                let (_, tokens) = try await auth.signUp("outage@example.com")
                let agent = try await Self.agent(auth, tokens, "Desk")
                let other = try await auth.signIn("outage@example.com")
                redis.stop()
                let logout = try await auth.call(
                    .post,
                    "/logout",
                    json: RefreshRequest(refreshToken: other.refreshToken)
                )
                #expect(logout.status == .serviceUnavailable)
                #expect(logout.error?.code == "revocation_unavailable")
                let everywhere = try await auth.call(.post, "/logout-all", raw: "{}", token: tokens.accessToken)
                #expect(everywhere.status == .serviceUnavailable)
                let password = try await auth.call(
                    .patch,
                    "/me",
                    json: UpdateMeRequest(password: "changed password", currentPassword: AuthHarness.password),
                    token: tokens.accessToken
                )
                #expect(password.status == .serviceUnavailable)
                let agentRevoke = try await auth.call(
                    .delete,
                    "/agents/\(UUID())",
                    token: tokens.accessToken
                )
                #expect(agentRevoke.status == .serviceUnavailable)
                // Nothing changed: the session and the password are as they were, the agent token still valid.
                #expect(try await Self.validates(auth, agent))
                let stillThere = try await auth.call(
                    .post,
                    "/refresh",
                    json: RefreshRequest(refreshToken: other.refreshToken)
                )
                #expect(stillThere.status == .ok)
                let user = try #require(try await harness.core.users.find(email: "outage@example.com"))
                #expect(await harness.core.hasher.verify(AuthHarness.password, against: user.passwordHash))

                try await redis.start()
                let next = try stillThere.decode(TokenPair.self)
                let retried = try await auth.call(
                    .post,
                    "/logout",
                    json: RefreshRequest(refreshToken: next.refreshToken)
                )
                #expect(retried.status == .noContent)
            }
        }
    }
}
