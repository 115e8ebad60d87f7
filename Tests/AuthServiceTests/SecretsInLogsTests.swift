import Foundation
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import AuthService

extension AuthTests {
    @Suite("secrets stay out of logs")
    struct SecretsInLogs {
        @Test("a full session's passwords, tokens and keys never reach the log")
        func logsHoldNoSecrets() async throws {
            let logs = LogCapture()
            let harness = try await AuthHarness(logs: logs)
            let secrets = try await harness.run { auth -> [String] in
                let password = "a very secret passphrase"
                let (_, tokens) = try await auth.signUp("logged@example.com", password: password)
                _ = try await auth.call(.get, "/me", token: tokens.accessToken)
                let refreshed = try await auth.call(
                    .post,
                    "/refresh",
                    json: RefreshRequest(refreshToken: tokens.refreshToken)
                )
                .decode(TokenPair.self)
                _ = try await auth.call(
                    .post,
                    "/login",
                    json: LoginRequest(email: "logged@example.com", password: "wrong guess here")
                )
                let agent = try await auth.call(
                    .post,
                    "/agents",
                    json: NameRequest(name: "pc"),
                    token: refreshed.accessToken
                )
                .decode(AgentTokenResponse.self)
                _ = try await auth.call(.post, "/validate", json: ValidateRequest(token: agent.token!))
                let secret = harness.dependencies.dependencies.config.serviceSecret.value
                _ = try await auth.call(
                    .post,
                    "/service-token",
                    json: ServiceTokenRequest(service: "cloud", secret: secret + "wrong")
                )
                _ = try await auth.call(
                    .patch,
                    "/me",
                    json: UpdateMeRequest(password: "another secret phrase", currentPassword: password),
                    token: refreshed.accessToken
                )
                // Replaying the first refresh token ends the session, last.
                _ = try await auth.call(.post, "/refresh", json: RefreshRequest(refreshToken: tokens.refreshToken))
                return [
                    password, "wrong guess here", "another secret phrase", tokens.accessToken, tokens.refreshToken!,
                    refreshed.accessToken, refreshed.refreshToken!, agent.token!, secret,
                    "5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b",
                ]
            }
            let text = logs.text
            #expect(text.contains("signed in"), "the log must have captured the session")
            #expect(text.contains("refresh token reused"))
            for secret in secrets {
                #expect(!text.contains(secret), "a secret leaked into the log: \(secret.prefix(6))…")
            }
            // Nor any fragment of a JWT signature or Argon2 hash.
            #expect(!text.contains("$argon2id$"))
            #expect(!text.contains("eyJ"))
        }
    }
}
