import Foundation
import StrypeCore
import StrypeService
import Testing

@testable import AuthService

extension AuthTests {
    @Suite("sessions: refresh rotation, reuse detection, sign-out, password change")
    struct Sessions {
        @Test("refresh rotates; replaying a used refresh token ends the whole session")
        func rotationAndReuse() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let first = try await auth.signUp("rotate@example.com").tokens
                let refreshed = try await auth.call(
                    .post,
                    "/refresh",
                    json: RefreshRequest(refreshToken: first.refreshToken)
                )
                #expect(refreshed.status == .ok)
                let second = try refreshed.decode(TokenPair.self)
                #expect(second.refreshToken != first.refreshToken)
                #expect(try await auth.call(.get, "/me", token: second.accessToken).status == .ok)

                let replay = try await auth.call(
                    .post,
                    "/refresh",
                    json: RefreshRequest(refreshToken: first.refreshToken)
                )
                #expect(replay.status == .unauthorized)
                #expect(replay.error?.code == "token_reused")
                // The whole family is gone: the newest refresh token and the session's access tokens too.
                let newest = try await auth.call(
                    .post,
                    "/refresh",
                    json: RefreshRequest(refreshToken: second.refreshToken)
                )
                #expect(newest.status == .unauthorized)
                let revoked = try await eventually {
                    try await auth.call(.get, "/me", token: second.accessToken).status == .unauthorized
                }
                #expect(revoked)
                #expect(try await auth.call(.get, "/me", token: second.accessToken).error?.code == "token_revoked")
                // Another session of the same user is untouched.
                let other = try await auth.signIn("rotate@example.com")
                #expect(try await auth.call(.get, "/me", token: other.accessToken).status == .ok)
            }
        }

        @Test("garbage and unknown refresh tokens are 4xx")
        func badRefreshTokens() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let garbage = try await auth.call(.post, "/refresh", json: RefreshRequest(refreshToken: "nonsense"))
                #expect(garbage.status == .badRequest)
                let unknown = try await auth.call(
                    .post,
                    "/refresh",
                    json: RefreshRequest(refreshToken: OpaqueToken.generate(prefix: "csr_"))
                )
                #expect(unknown.status == .unauthorized)
                let missing = try await auth.call(.post, "/refresh", raw: "{}")
                #expect(missing.status == .badRequest)
            }
        }

        @Test("sign-out ends the session: its refresh and access tokens stop working")
        func logout() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let tokens = try await auth.signUp("leave@example.com").tokens
                let out = try await auth.call(.post, "/logout", json: RefreshRequest(refreshToken: tokens.refreshToken))
                #expect(out.status == .noContent)
                #expect(
                    try await auth.call(.post, "/refresh", json: RefreshRequest(refreshToken: tokens.refreshToken))
                        .status == .unauthorized
                )
                #expect(
                    try await eventually {
                        try await auth.call(.get, "/me", token: tokens.accessToken).status == .unauthorized
                    }
                )

                // Signing out with the access token alone works too.
                let again = try await auth.signIn("leave@example.com")
                #expect(try await auth.call(.post, "/logout", raw: "", token: again.accessToken).status == .noContent)
                #expect(
                    try await auth.call(.post, "/refresh", json: RefreshRequest(refreshToken: again.refreshToken))
                        .status == .unauthorized
                )
            }
        }

        @Test("GET and PATCH /me; a password change needs the current password and ends other sessions")
        func passwordChange() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let (user, current) = try await auth.signUp("me@example.com", name: "Old Name")
                let other = try await auth.signIn("me@example.com")
                let me = try await auth.call(.get, "/me", token: current.accessToken).decode(UserResponse.self)
                #expect(me.id == user.id && me.name == "Old Name" && me.groups == [])

                let renamed = try await auth.call(
                    .patch,
                    "/me",
                    json: UpdateMeRequest(name: "New Name"),
                    token: current.accessToken
                )
                #expect(try renamed.decode(UserResponse.self).name == "New Name")

                let missing = try await auth.call(
                    .patch,
                    "/me",
                    json: UpdateMeRequest(password: "a new password!"),
                    token: current.accessToken
                )
                #expect(missing.status == .badRequest && missing.error?.field == "current_password")
                let wrong = try await auth.call(
                    .patch,
                    "/me",
                    json: UpdateMeRequest(password: "a new password!", currentPassword: "not it at all"),
                    token: current.accessToken
                )
                #expect(wrong.status == .forbidden)
                let tooShort = try await auth.call(
                    .patch,
                    "/me",
                    json: UpdateMeRequest(password: "short", currentPassword: AuthHarness.password),
                    token: current.accessToken
                )
                #expect(tooShort.status == .badRequest && tooShort.error?.field == "password")

                let changed = try await auth.call(
                    .patch,
                    "/me",
                    json: UpdateMeRequest(password: "a new password!", currentPassword: AuthHarness.password),
                    token: current.accessToken
                )
                #expect(changed.status == .ok)
                // This session goes on; the other one is over.
                #expect(try await auth.call(.get, "/me", token: current.accessToken).status == .ok)
                #expect(
                    try await auth.call(.post, "/refresh", json: RefreshRequest(refreshToken: current.refreshToken))
                        .status == .ok
                )
                #expect(
                    try await auth.call(.post, "/refresh", json: RefreshRequest(refreshToken: other.refreshToken))
                        .status == .unauthorized
                )
                #expect(
                    try await eventually {
                        try await auth.call(.get, "/me", token: other.accessToken).status == .unauthorized
                    }
                )
                // Old password no longer works, the new one does.
                let old = try await auth.call(
                    .post,
                    "/login",
                    json: LoginRequest(email: "me@example.com", password: AuthHarness.password)
                )
                #expect(old.status == .unauthorized)
                _ = try await auth.signIn("me@example.com", password: "a new password!")
            }
        }
    }
}
