import Foundation
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import AuthService

extension AuthTests {
    @Suite("registration and input rules")
    struct Registration {
        @Test("nobody is admin by being first: the first registrant is a plain user")
        func firstUserIsNotAdmin() async throws {
            let harness = try await AuthHarness(settings: AuthHarness.bootstrapSettings)
            try await harness.run { auth in
                let first = try await auth.signUp("first@example.com").user
                #expect(first.roles == ["user"], "being first must not make anyone admin")
                #expect(try await harness.core.users.activeAdminCount(excluding: nil) == 0)
            }
        }

        @Test("ADMIN_EMAIL is reserved: without the setup token (or with a wrong one) it is 403 and stores nothing")
        func reservedWithoutToken() async throws {
            let harness = try await AuthHarness(settings: AuthHarness.bootstrapSettings)
            try await harness.run { auth in
                for token in [nil, "", "wrong-token-wrong-token-wrong-token-wrong", AuthHarness.setupToken + "x"] {
                    let reply = try await auth.call(
                        .post,
                        "/register",
                        json: RegisterRequest(
                            email: "Boss@Example.com",
                            password: AuthHarness.password,
                            name: "Boss",
                            setupToken: token
                        )
                    )
                    #expect(reply.status == .forbidden)
                    #expect(reply.error?.code == "setup_token_required")
                }
                #expect(try await harness.core.users.find(email: AuthHarness.adminEmail) == nil)
            }
        }

        @Test("ADMIN_EMAIL with the setup token is admin; then the token is spent and the address registers plainly")
        func bootstrapOnce() async throws {
            let logs = LogCapture()
            let harness = try await AuthHarness(settings: AuthHarness.bootstrapSettings, logs: logs)
            try await harness.run { auth in
                let boss = try await auth.signUp(AuthHarness.adminEmail, setupToken: AuthHarness.setupToken)
                #expect(boss.user.roles == ["admin", "user"])
                // The token does nothing for another address.
                let other = try await auth.signUp("other@example.com", setupToken: AuthHarness.setupToken).user
                #expect(other.roles == ["user"])
                // Once an admin exists the token is spent: free the address (another admin deletes the first) and
                // register it again with the token: a plain user.
                _ = try await auth.call(
                    .patch,
                    "/users/\(other.id)",
                    json: UpdateUserRequest(roles: ["admin", "user"]),
                    token: boss.tokens.accessToken
                )
                let second = try await auth.signIn("other@example.com")
                #expect(
                    try await auth.call(.delete, "/users/\(boss.user.id)", token: second.accessToken).status
                        == .noContent
                )
                let again = try await auth.signUp(AuthHarness.adminEmail, setupToken: AuthHarness.setupToken).user
                #expect(again.roles == ["user"], "the setup token must be spent once an admin exists")
                // And without the token too, the address is no longer reserved.
                _ = try await auth.call(
                    .delete,
                    "/users/\(again.id)",
                    token: second.accessToken
                )
                #expect(try await auth.signUp(AuthHarness.adminEmail).user.roles == ["user"])
            }
            #expect(!logs.text.contains(AuthHarness.setupToken), "the setup token must never be logged")
        }

        @Test("a disabled admin does not count: with no enabled admin the address is reserved again")
        func disabledAdminDoesNotCount() async throws {
            let harness = try await AuthHarness(settings: AuthHarness.bootstrapSettings)
            try await harness.run { auth in
                let admin = try await harness.signUpAdmin("old-admin@example.com", via: auth).user
                _ = try await harness.core.users.update(
                    id: admin.id,
                    name: nil,
                    roles: nil,
                    disabled: true,
                    passwordHash: nil
                )
                let refused = try await auth.call(
                    .post,
                    "/register",
                    json: RegisterRequest(email: AuthHarness.adminEmail, password: AuthHarness.password, name: "B")
                )
                #expect(refused.error?.code == "setup_token_required")
                let boss = try await auth.signUp(AuthHarness.adminEmail, setupToken: AuthHarness.setupToken).user
                #expect(boss.roles == ["admin", "user"])
            }
        }

        @Test("two registrations racing with the setup token make exactly one admin")
        func bootstrapRace() async throws {
            let harness = try await AuthHarness(settings: AuthHarness.bootstrapSettings)
            try await harness.run { auth in
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            let reply = try await auth.call(
                                .post,
                                "/register",
                                json: RegisterRequest(
                                    email: AuthHarness.adminEmail,
                                    password: AuthHarness.password,
                                    name: "Boss",
                                    setupToken: AuthHarness.setupToken
                                )
                            )
                            return Int(reply.status.code)
                        }
                    }
                    var all: [Int] = []
                    for try await status in group { all.append(status) }
                    return all
                }
                #expect(statuses.sorted() == [201, 409, 409, 409])
                #expect(try await harness.core.users.activeAdminCount(excluding: nil) == 1)
            }
        }

        @Test("emails are normalised; a duplicate in any case is 409")
        func normalisedAndUnique() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let user = try await auth.signUp("  Mixed.Case@Example.COM ").user
                #expect(user.email == "mixed.case@example.com")
                let again = try await auth.call(
                    .post,
                    "/register",
                    json: RegisterRequest(
                        email: "MIXED.case@example.com",
                        password: AuthHarness.password,
                        name: "Again"
                    )
                )
                #expect(again.status == .conflict)
                #expect(again.error?.code == "conflict")
            }
        }

        @Test(
            "each broken rule is a 400 naming the field",
            arguments: [
                ("not-an-email", AuthHarness.password, "Name", "email"),
                ("a@b", AuthHarness.password, "Name", "email"),
                ("a b@example.com", AuthHarness.password, "Name", "email"),
                ("", AuthHarness.password, "Name", "email"),
                (String(repeating: "a", count: 250) + "@example.com", AuthHarness.password, "Name", "email"),
                ("ok@example.com", "short", "Name", "password"),
                ("ok@example.com", String(repeating: "p", count: 1025), "Name", "password"),
                ("ok@example.com", AuthHarness.password, "", "name"),
                ("ok@example.com", AuthHarness.password, String(repeating: "n", count: 201), "name"),
                ("ok@example.com", AuthHarness.password, "bell\u{7}", "name"),
            ]
        )
        func invalidInput(email: String, password: String, name: String, field: String) async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let reply = try await auth.call(
                    .post,
                    "/register",
                    json: RegisterRequest(email: email, password: password, name: name)
                )
                #expect(reply.status == .badRequest)
                #expect(reply.error?.code == "invalid_field")
                #expect(reply.error?.field == field)
                let listed = try await harness.core.users.list(limit: 10, offset: 0)
                #expect(listed.total == 0, "a refused registration must store nothing")
            }
        }

        @Test("passwords of exactly 10 and 1024 bytes are accepted")
        func passwordBounds() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                _ = try await auth.signUp("ten@example.com", password: "0123456789")
                _ = try await auth.signUp("long@example.com", password: String(repeating: "é", count: 512))
            }
        }

        @Test("malformed JSON is a 400 and stores nothing")
        func malformedJSON() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                let reply = try await auth.call(.post, "/register", raw: "{\"email\": \"x@example.com\", ")
                #expect(reply.status == .badRequest)
                #expect(try await harness.core.users.list(limit: 10, offset: 0).total == 0)
            }
        }

        @Test("closed registration refuses sign-ups, but not the first admin's")
        func closedRegistration() async throws {
            var settings = AuthHarness.bootstrapSettings
            settings.registration = .closed
            let harness = try await AuthHarness(settings: settings)
            try await harness.run { auth in
                let reply = try await auth.call(
                    .post,
                    "/register",
                    json: RegisterRequest(email: "x@example.com", password: AuthHarness.password, name: "X")
                )
                #expect(reply.status == .forbidden)
                let boss = try await auth.signUp(AuthHarness.adminEmail, setupToken: AuthHarness.setupToken).user
                #expect(boss.roles == ["admin", "user"])
                #expect(try await harness.core.users.list(limit: 10, offset: 0).total == 1)
            }
        }

        @Test("ADMIN_EMAIL, ADMIN_SETUP_TOKEN and REGISTRATION are checked at start")
        func settingsValidated() {
            #expect(throws: ConfigError.self) {
                try AuthSettings(environment: EnvironmentReader(["ADMIN_EMAIL": "nope"]))
            }
            #expect(throws: ConfigError.self) {
                try AuthSettings(environment: EnvironmentReader(["REGISTRATION": "maybe"]))
            }
            for weak in ["too-short", "change-me-to-a-long-random-string-please"] {
                #expect(throws: ConfigError.self) {
                    try AuthSettings(environment: EnvironmentReader(["ADMIN_SETUP_TOKEN": weak]))
                }
            }
            let repeated = String(repeating: "a", count: 40)
            #expect(throws: ConfigError.self) {
                try AuthSettings(environment: EnvironmentReader(["ADMIN_SETUP_TOKEN": repeated]))
            }
            let invite = try? AuthSettings(environment: EnvironmentReader(["REGISTRATION": "Invite"]))
            #expect(invite?.registration == .invite)
            let unset = try? AuthSettings(environment: EnvironmentReader([:]))
            #expect(unset?.registration == .open)
            let token = try? AuthSettings(environment: EnvironmentReader(["ADMIN_SETUP_TOKEN": AuthHarness.setupToken]))
            #expect(token?.adminSetupToken?.value == AuthHarness.setupToken)
            #expect(throws: ConfigError.self) {
                try AuthSettings(environment: EnvironmentReader(["LOGIN_MAX_FAILURES_PER_EMAIL": "0"]))
            }
        }
    }
}
