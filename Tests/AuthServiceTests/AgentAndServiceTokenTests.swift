import Foundation
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import AuthService

extension AuthTests {
    @Suite("agent tokens and service tokens")
    struct MachineTokens {
        @Test("an agent token is shown once, validates with scope array:member, and stops working when revoked")
        func agentTokenLifecycle() async throws {
            let harness = try await AuthHarness()
            let redisURL = try TestEnvironment.redisURL
            try await harness.run { auth in
                let (user, tokens) = try await auth.signUp("desk@example.com")
                let created = try await auth.call(
                    .post,
                    "/agents",
                    json: NameRequest(name: "Office PC"),
                    token: tokens.accessToken
                )
                #expect(created.status == .created)
                let agent = try created.decode(AgentTokenResponse.self)
                let token = try #require(agent.token)
                #expect(token.hasPrefix("csa_") && agent.scope == "array:member")

                let listed = try await auth.call(.get, "/agents", token: tokens.accessToken).decode(
                    Items<AgentTokenResponse>.self
                )
                #expect(listed.items.map(\.id) == [agent.id])
                #expect(listed.items[0].token == nil, "a token is never shown again")

                let valid = try await auth.call(.post, "/validate", json: ValidateRequest(token: token))
                let claims = try valid.decode(ValidatedToken.self)
                #expect(claims.sub == user.id.uuidString.lowercased())
                #expect(claims.scope == "array:member" && claims.agentID == agent.id && claims.agentName == "Office PC")

                // Nobody else can revoke it.
                let stranger = try await auth.signUp("stranger@example.com").tokens
                #expect(
                    try await auth.call(.delete, "/agents/\(agent.id)", token: stranger.accessToken).status == .notFound
                )

                // Revocation is announced on Redis so array can close the agent's connection at once.
                var events = RedisSubscriber(url: redisURL, logger: TestEnvironment.logger)
                    .subscribe(to: [AuthCore.agentRevokedChannel]).makeAsyncIterator()
                #expect(await events.next() == .subscribed)
                #expect(
                    try await auth.call(.delete, "/agents/\(agent.id)", token: tokens.accessToken).status == .noContent
                )
                #expect(
                    await events.next()
                        == .message(channel: AuthCore.agentRevokedChannel, payload: agent.id.uuidString.lowercased())
                )
                #expect(
                    try await auth.call(.post, "/validate", json: ValidateRequest(token: token)).status == .unauthorized
                )
                #expect(
                    try await auth.call(.get, "/agents", token: tokens.accessToken).decode(
                        Items<AgentTokenResponse>.self
                    ).items.isEmpty
                )
            }
        }

        @Test("an agent token is not an access token: user routes refuse it")
        func agentTokenIsNotABearer() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let tokens = try await auth.signUp("desk@example.com").tokens
                let agent = try await auth.call(
                    .post,
                    "/agents",
                    json: NameRequest(name: "Laptop"),
                    token: tokens.accessToken
                )
                .decode(AgentTokenResponse.self)
                #expect(try await auth.call(.get, "/me", token: agent.token).status == .unauthorized)
                #expect(
                    try await auth.call(.post, "/agents", json: NameRequest(name: "x"), token: agent.token).status
                        == .unauthorized
                )
            }
        }

        @Test("a disabled user's agent tokens stop validating")
        func disabledUsersAgents() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let admin = try await harness.signUpAdmin("root@example.com", via: auth).tokens
                let (user, tokens) = try await auth.signUp("desk@example.com")
                let agent = try await auth.call(
                    .post,
                    "/agents",
                    json: NameRequest(name: "NAS"),
                    token: tokens.accessToken
                )
                .decode(AgentTokenResponse.self)
                _ = try await auth.call(
                    .patch,
                    "/users/\(user.id)",
                    json: UpdateUserRequest(disabled: true),
                    token: admin.accessToken
                )
                #expect(
                    try await auth.call(.post, "/validate", json: ValidateRequest(token: agent.token!)).status
                        == .unauthorized
                )
            }
        }

        @Test("service tokens go to holders of SERVICE_SECRET only")
        func serviceTokens() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let secret = harness.dependencies.dependencies.config.serviceSecret.value
                let issued = try await auth.call(
                    .post,
                    "/service-token",
                    json: ServiceTokenRequest(service: "chunk", secret: secret)
                )
                #expect(issued.status == .ok)
                let pair = try issued.decode(TokenPair.self)
                #expect(pair.refreshToken == nil && pair.expiresIn == 900)
                let claims = try await auth.call(.post, "/validate", json: ValidateRequest(token: pair.accessToken))
                    .decode(ValidatedToken.self)
                #expect(claims.sub == "service:chunk" && claims.roles == ["service"] && claims.scope == "service")

                let wrong = try await auth.call(
                    .post,
                    "/service-token",
                    json: ServiceTokenRequest(service: "chunk", secret: secret + "x")
                )
                #expect(wrong.status == .unauthorized)
                let unknown = try await auth.call(
                    .post,
                    "/service-token",
                    json: ServiceTokenRequest(service: "evil", secret: secret)
                )
                #expect(unknown.status == .badRequest && unknown.error?.field == "service")
                // A service token is not a user: no /me, no agent tokens.
                #expect(try await auth.call(.get, "/me", token: pair.accessToken).status == .forbidden)
            }
        }

        @Test("wrong service secrets are limited per client address: 429 with Retry-After, even for the right one")
        func serviceTokenRateLimit() async throws {
            let limit = AttemptLimit(limit: 3, window: .seconds(60))
            let harness = try await AuthHarness(settings: AuthSettings(serviceTokenLimit: limit))
            try await harness.run { auth in
                let secret = harness.dependencies.dependencies.config.serviceSecret.value
                let address = "192.0.2.\(Int.random(in: 1...250))-\(UUID().uuidString.prefix(6))"
                for attempt in 0..<3 {
                    let wrong = try await auth.call(
                        .post,
                        "/service-token",
                        json: ServiceTokenRequest(service: "chunk", secret: "guess number \(attempt)"),
                        address: address
                    )
                    #expect(wrong.status == .unauthorized)
                }
                let blocked = try await auth.call(
                    .post,
                    "/service-token",
                    json: ServiceTokenRequest(service: "chunk", secret: secret),
                    address: address
                )
                #expect(blocked.status == .tooManyRequests)
                #expect(blocked.error?.code == "too_many_attempts")
                let retryAfter = try #require(blocked.headers[.retryAfter].flatMap { Int($0) })
                #expect((1...60).contains(retryAfter))
                let elsewhere = try await auth.call(
                    .post,
                    "/service-token",
                    json: ServiceTokenRequest(service: "chunk", secret: secret),
                    address: "203.0.113.9-\(UUID().uuidString.prefix(6))"
                )
                #expect(elsewhere.status == .ok)
            }
        }
    }
}
