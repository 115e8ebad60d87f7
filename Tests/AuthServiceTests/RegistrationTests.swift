import Foundation
import StrypeCore
import StrypeService
import Testing

@testable import AuthService

extension AuthTests {
    @Suite("registration and input rules")
    struct Registration {
        @Test("the first user is admin, later ones are not, and ADMIN_EMAIL is admin too")
        func firstUserIsAdmin() async throws {
            let harness = try await AuthHarness(settings: AuthSettings(adminEmail: "boss@example.com"))
            try await harness.run { auth in
                let first = try await auth.signUp("first@example.com").user
                #expect(first.roles == ["admin", "user"])
                let second = try await auth.signUp("second@example.com").user
                #expect(second.roles == ["user"])
                let boss = try await auth.signUp("Boss@Example.com").user
                #expect(boss.roles == ["admin", "user"])
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

        @Test("closed registration refuses sign-ups")
        func closedRegistration() async throws {
            let harness = try await AuthHarness(settings: AuthSettings(registrationOpen: false))
            try await harness.run { auth in
                let reply = try await auth.call(
                    .post,
                    "/register",
                    json: RegisterRequest(email: "x@example.com", password: AuthHarness.password, name: "X")
                )
                #expect(reply.status == .forbidden)
            }
        }

        @Test("ADMIN_EMAIL and REGISTRATION are checked at start")
        func settingsValidated() {
            #expect(throws: ConfigError.self) {
                try AuthSettings(environment: EnvironmentReader(["ADMIN_EMAIL": "nope"]))
            }
            #expect(throws: ConfigError.self) {
                try AuthSettings(environment: EnvironmentReader(["REGISTRATION": "maybe"]))
            }
            #expect(throws: ConfigError.self) {
                try AuthSettings(environment: EnvironmentReader(["LOGIN_MAX_FAILURES_PER_EMAIL": "0"]))
            }
        }
    }
}
